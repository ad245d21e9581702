package models

import (
	"context"
	"time"

	"github.com/fivec/fivec/replytemplate"
)

// FanTemplateVars are the variables of every text written to one fan:
// rule replies and per-fan broadcasts (customer-service, template message,
// preview). They are the methods of FanVars, so both render the same names
// with the same naming rule (FanName).
var FanTemplateVars = replytemplate.Vars{
	"OpenID": replytemplate.String, "Name": replytemplate.String, "Stage": replytemplate.String,
	"Points": replytemplate.Number, "Now": replytemplate.Time,
}

// FanTextMax bounds a text once its variables are filled in, so a template
// cannot balloon (the most a rule reply or a broadcast text may hold).
const FanTextMax = 2048

// FanVars are the values of FanTemplateVars for one fan, e.g. "您好
// {{.Name}}，您有 {{.Points}} 积分". Values are looked up only when a
// template uses them, and at most once (one FanVars serves all the texts
// sent to the fan in one go). Without a store or member (the dry run of a
// check) they are sample values.
type FanVars struct {
	ctx    context.Context
	store  *Store
	member *Member

	name      string
	nameDone  bool
	points    int64
	pointsSet bool
}

// NewFanVars returns the variables of member m, read lazily from s. s and
// m may be nil: sample values (a dry run).
func NewFanVars(ctx context.Context, s *Store, m *Member) *FanVars {
	return &FanVars{ctx: ctx, store: s, member: m}
}

// OpenID is the fan's openid.
func (v *FanVars) OpenID() string {
	if v.member == nil {
		return "o_sample_openid"
	}
	return v.member.OpenID
}

// Name is how to address the fan (FanName): the name on their profile,
// else 朋友.
func (v *FanVars) Name() (string, error) {
	if v.nameDone {
		return v.name, nil
	}
	var p *MemberProfile
	if v.store != nil && v.member != nil && v.member.ID != 0 {
		var err error
		if p, err = v.store.Profile(v.ctx, v.member.ID); err != nil {
			return "", err
		}
	}
	v.name, v.nameDone = FanName(p), true
	return v.name, nil
}

// Stage is the member's lifecycle stage.
func (v *FanVars) Stage() string {
	if v.member == nil || v.member.Stage == "" {
		return StageProspect
	}
	return v.member.Stage
}

// Points is the member's points balance, read from the database when the
// text is rendered (for a rule reply: before the rule's own actions run, so
// a rule that awards points shows the balance without them).
func (v *FanVars) Points() (int64, error) {
	if v.pointsSet {
		return v.points, nil
	}
	switch {
	case v.store != nil && v.member != nil && v.member.ID != 0:
		n, err := v.store.Balance(v.ctx, v.member.ID)
		if err != nil {
			return 0, err
		}
		v.points = n
	case v.member != nil:
		v.points = v.member.Points
	}
	v.pointsSet = true
	return v.points, nil
}

// Now is the current time, e.g. {{.Now.Format "15:04"}}.
func (v *FanVars) Now() time.Time { return time.Now() }

// FanVarsFor returns the variables of many members at once (a delivery
// batch): two queries, members and profiles, whatever the templates use;
// the points are the members' balances as read. Members that no longer
// exist are left out.
func (s *Store) FanVarsFor(ctx context.Context, memberIDs []uint64) (map[uint64]*FanVars, error) {
	members, err := s.MembersByIDs(ctx, memberIDs)
	if err != nil {
		return nil, err
	}
	names := make(map[uint64]string, len(members))
	for start := 0; start < len(memberIDs); start += 1000 {
		var part []MemberProfile
		if err := s.db.WithContext(ctx).Select("member_id", "name").
			Where("member_id IN ?", memberIDs[start:min(start+1000, len(memberIDs))]).Find(&part).Error; err != nil {
			return nil, translate("profiles by member", err)
		}
		for i := range part {
			names[part[i].MemberID] = FanName(&part[i])
		}
	}
	out := make(map[uint64]*FanVars, len(members))
	for i := range members {
		m := &members[i]
		name, ok := names[m.ID]
		if !ok {
			name = FanName(nil)
		}
		out[m.ID] = &FanVars{ctx: ctx, member: m, name: name, nameDone: true, points: m.Points, pointsSet: true}
	}
	return out, nil
}
