package models

import (
	"strings"
	"time"

	"gorm.io/gorm"
)

// finishRows is the most answers one UPDATE carries (SQLite allows 500
// SELECTs in one compound SELECT).
const finishRows = 200

// finishMany stores the answers of fins: one UPDATE of messages joined to a
// table of the answers, one of members for their unanswered runs, one of
// conversations for the fan's last message. With one answer these are the
// plain single-row UPDATEs.
func (s *Store) finishMany(db *gorm.DB, fins []*recOp, now time.Time) error {
	if len(fins) == 0 {
		return nil
	}
	// The last answer per message wins (a "deferred" mark, then the answer).
	answers := make([]*finishOp, 0, len(fins))
	at := make(map[uint64]int, len(fins))
	runs := map[uint64]*runFold{}
	var runOrder []uint64
	var convs []uint64
	for _, op := range fins {
		f := op.fin
		if i, ok := at[f.id]; ok {
			answers[i] = f
		} else {
			at[f.id] = len(answers)
			answers = append(answers, f)
		}
		if f.a.Run != RunKeep && f.a.MemberID != 0 {
			r := runs[f.a.MemberID]
			if r == nil {
				r = &runFold{}
				runs[f.a.MemberID] = r
				runOrder = append(runOrder, f.a.MemberID)
			}
			r.apply(f.a.Run)
		}
		if f.a.ConversationID != 0 {
			convs = append(convs, f.a.ConversationID)
		}
	}
	for len(answers) > 0 {
		n := min(len(answers), finishRows)
		if err := s.storeAnswers(db, answers[:n], now); err != nil {
			return err
		}
		answers = answers[n:]
	}
	if err := s.storeRuns(db, runs, runOrder, now); err != nil {
		return err
	}
	if len(convs) > 0 {
		// Close Service: the fan wrote in an open conversation.
		err := db.Model(&Conversation{}).Where("id IN ?", convs).
			Updates(map[string]any{"last_fan_at": now, "updated_at": now}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) storeAnswers(db *gorm.DB, answers []*finishOp, now time.Time) error {
	if len(answers) == 1 {
		f := answers[0]
		updates := map[string]any{"state": f.a.State, "replies": encodeReplies(f.a.Replies), "updated_at": now, "unanswered": f.a.Unanswered}
		if f.a.RuleID != 0 {
			updates["rule_id"] = f.a.RuleID
		}
		return db.Model(&Message{}).Where("id = ? AND state IN ?", f.id, []string{StateProcessing, StateDeferred}).
			Updates(updates).Error
	}
	var b strings.Builder
	rows := make([]any, 0, 5*len(answers))
	for i, f := range answers {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT ? AS id, ? AS state, ? AS replies, ? AS unanswered, ? AS rule_id")
		var rule any
		if f.a.RuleID != 0 {
			rule = f.a.RuleID
		}
		rows = append(rows, f.id, f.a.State, encodeReplies(f.a.Replies), f.a.Unanswered, rule)
	}
	// Arguments bind in the order of the statement's text.
	var q string
	var args []any
	if s.driver == "mysql" {
		args = append(append(rows, now), StateProcessing, StateDeferred)
		q = "UPDATE messages m JOIN (" + b.String() + ") v ON m.id = v.id SET m.state = v.state, m.replies = v.replies, " +
			"m.unanswered = v.unanswered, m.rule_id = COALESCE(v.rule_id, m.rule_id), " +
			"m.updated_at = ? " +
			"WHERE m.state IN (?, ?)"
	} else {
		args = append(append([]any{now}, rows...), StateProcessing, StateDeferred)
		q = "UPDATE messages SET state = v.state, replies = v.replies, unanswered = v.unanswered, " +
			"rule_id = COALESCE(v.rule_id, messages.rule_id), " +
			"updated_at = ? " +
			"FROM (" + b.String() + ") AS v WHERE messages.id = v.id AND messages.state IN (?, ?)"
	}
	return db.Exec(q, args...).Error
}

// runFold is the net effect of a batch's answers on one member's run.
type runFold struct {
	reset bool // the run starts again from 0 …
	add   int  // … plus this many unanswered texts
}

func (r *runFold) apply(change int) {
	switch change {
	case RunReset:
		r.reset, r.add = true, 0
	case RunAdd:
		r.add++
	}
}

func (s *Store) storeRuns(db *gorm.DB, runs map[uint64]*runFold, order []uint64, now time.Time) error {
	switch len(order) {
	case 0:
		return nil
	case 1:
		r := runs[order[0]]
		v := any(gorm.Expr("unanswered_run + ?", r.add))
		if r.reset {
			v = r.add
		}
		return db.Model(&Member{}).Where("id = ?", order[0]).
			Updates(map[string]any{"unanswered_run": v, "updated_at": now}).Error
	}
	for len(order) > 0 {
		n := min(len(order), finishRows)
		var b strings.Builder
		args := make([]any, 0, 3*n+1)
		args = append(args, now)
		for i, id := range order[:n] {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT ? AS id, ? AS reset, ? AS add_n")
			args = append(args, id, runs[id].reset, runs[id].add)
		}
		var q string
		if s.driver == "mysql" {
			q = "UPDATE members m JOIN (" + b.String() + ") v ON m.id = v.id SET m.updated_at = ?, " +
				"m.unanswered_run = CASE WHEN v.reset THEN v.add_n ELSE m.unanswered_run + v.add_n END"
			// MySQL binds in text order: the derived table comes first.
			args = append(args[1:], now)
		} else {
			q = "UPDATE members SET updated_at = ?, " +
				"unanswered_run = CASE WHEN v.reset THEN v.add_n ELSE members.unanswered_run + v.add_n END " +
				"FROM (" + b.String() + ") AS v WHERE members.id = v.id"
		}
		if err := db.Exec(q, args...).Error; err != nil {
			return err
		}
		order = order[n:]
	}
	return nil
}

// OpenConversation is a member's open conversation and, while it waits,
// how many waiting conversations are ahead of it (Store.QueuePosition).
type OpenConversation struct {
	Conversation
	Ahead int64
}

// loadOpenConversations reads the open conversations of the members in
// one, with their queue positions, in one statement: the hot path's
// Close Service check for fans handed to staff, for a whole batch.
func loadOpenConversations(db *gorm.DB, members []*Member) error {
	var ids []uint64
	for _, m := range members {
		if m.InConversation {
			ids = append(ids, m.ID)
			m.OpenKnown = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var convs []Conversation
	err := db.Where("member_id IN ? AND state IN ?", ids, []string{ConvWaiting, ConvAssigned}).
		Order("id").Find(&convs).Error
	if err != nil {
		return err
	}
	rows := make([]OpenConversation, len(convs))
	for i := range convs {
		rows[i].Conversation = convs[i]
	}
	if err := queuePositions(db, rows); err != nil {
		return err
	}
	open := make(map[uint64]*OpenConversation, len(rows))
	for i := range rows {
		open[rows[i].MemberID] = &rows[i] // ordered by id: the newest wins, as in Store.OpenConversation
	}
	for _, m := range members {
		if m.OpenKnown {
			m.Open = open[m.ID]
		}
	}
	return nil
}

// queuePositions sets Ahead on the waiting conversations of rows (ordered
// by id): how many waiting conversations are ahead in the same queue. The
// general queue (no team; priority always 0) is counted once for the
// batch, not once per conversation: the gaps between consecutive waiting
// ones in one statement, then a running sum (the earlier ones of the batch
// are waiting too, so each counts for the later). A team's conversation
// is counted by priority and id in its team's queue (Store.QueuePosition),
// in the same statement.
func queuePositions(db *gorm.DB, rows []OpenConversation) error {
	var general, teamed []*OpenConversation
	for i := range rows {
		switch {
		case rows[i].State != ConvWaiting:
		case rows[i].TeamID == nil:
			general = append(general, &rows[i])
		default:
			teamed = append(teamed, &rows[i])
		}
	}
	if len(general)+len(teamed) == 0 {
		return nil
	}
	var b strings.Builder
	args := make([]any, 0, 4*len(general)+6*len(teamed))
	prev := uint64(0)
	n := 0
	for i, c := range general {
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		n++
		b.WriteString("SELECT ? AS i, COUNT(*) AS n FROM conversations WHERE state = ? AND team_id IS NULL AND id > ? AND id < ?")
		args = append(args, i, ConvWaiting, prev, c.ID)
		prev = c.ID
	}
	for i, c := range teamed {
		if n > 0 {
			b.WriteString(" UNION ALL ")
		}
		n++
		b.WriteString("SELECT ? AS i, COUNT(*) AS n FROM conversations WHERE state = ? AND team_id = ? AND (priority > ? OR (priority = ? AND id < ?))")
		args = append(args, len(general)+i, ConvWaiting, *c.TeamID, c.Priority, c.Priority, c.ID)
	}
	var gaps []struct{ I, N int64 }
	if err := db.Raw(b.String(), args...).Scan(&gaps).Error; err != nil {
		return err
	}
	gap := make([]int64, len(general)+len(teamed))
	for _, g := range gaps {
		if g.I >= 0 && int(g.I) < len(gap) {
			gap[g.I] = g.N
		}
	}
	var ahead int64
	for i, c := range general {
		if i > 0 {
			ahead++ // the previous waiting one of the batch
		}
		ahead += gap[i]
		c.Ahead = ahead
	}
	for i, c := range teamed {
		c.Ahead = gap[len(general)+i]
	}
	return nil
}
