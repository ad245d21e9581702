package models

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// ErasedPrefix starts the placeholder that replaces an erased member's
// openid. The rest is random, not derived from the openid, so nobody can
// get back to the fan from it (a hash of an openid could be matched against
// the openids WeChat hands out).
const ErasedPrefix = "erased-"

// Erased reports whether the member was erased (EraseMember).
func (m *Member) Erased() bool { return strings.HasPrefix(m.OpenID, ErasedPrefix) }

// EraseResult is what EraseMember did, without personal data: it goes into
// the audit log.
type EraseResult struct {
	MemberID    uint64
	Placeholder string
	Messages    int64
	Tags        int64
}

// EraseMember anonymises the member with this openid, in one transaction:
// the content of every message to and from the fan (text, raw XML, the
// answers sent) is blanked, the profile, tags, fan sessions and profile
// links are deleted, topic answers and conversation notes are blanked, and
// the openid is replaced everywhere by a random placeholder. Event keys
// stay (the QR scene a follow came through: reports count follows by
// channel), as does who referred whom. Counts stay:
// the rows of the message log (by event and time, for reports), the points
// ledger (amounts, balances), conversations, sends and stage history keep
// their numbers under the anonymous member. A fan who follows again later
// arrives with the old openid, which no row holds any more: a new member.
// Erasing an erased member is refused (ENOTFOUND: the openid is gone).
func (s *Store) EraseMember(ctx context.Context, openID string) (*EraseResult, error) {
	if openID == "" || strings.HasPrefix(openID, ErasedPrefix) {
		return nil, Errorf(ENOTFOUND, "member: not found")
	}
	var res EraseResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var m Member
		if err := tx.Where("open_id = ?", openID).Take(&m).Error; err != nil {
			return translate("member", err)
		}
		res = EraseResult{MemberID: m.ID, Placeholder: ErasedPrefix + RandomToken(24)}
		ph := res.Placeholder
		r := tx.Model(&Message{}).Where("open_id = ?", openID).Updates(map[string]any{
			"open_id": ph, "content": "", "raw": "", "replies": "", "error": "",
			"dedupe_key": gorm.Expr("NULL"),
		})
		if r.Error != nil {
			return r.Error
		}
		res.Messages = r.RowsAffected
		r = tx.Where("member_id = ?", m.ID).Delete(&MemberTag{})
		if r.Error != nil {
			return r.Error
		}
		res.Tags = r.RowsAffected
		for _, table := range []string{"member_profiles", "profile_tokens", "fan_sessions"} {
			if err := tx.Exec("DELETE FROM "+table+" WHERE member_id = ?", m.ID).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&TopicEntry{}).Where("member_id = ?", m.ID).
			Updates(map[string]any{"open_id": ph, "text": ""}).Error; err != nil {
			return err
		}
		var convs []uint64
		if err := tx.Model(&Conversation{}).Where("member_id = ?", m.ID).Pluck("id", &convs).Error; err != nil {
			return err
		}
		if len(convs) > 0 {
			if err := tx.Model(&ConversationNote{}).Where("conversation_id IN ?", convs).Update("text", "").Error; err != nil {
				return err
			}
		}
		for _, table := range []string{"conversations", "recipients", "template_results"} {
			if err := tx.Exec("UPDATE "+table+" SET open_id = ? WHERE open_id = ?", ph, openID).Error; err != nil {
				return err
			}
		}
		// Older entries named the member by openid (the console's member
		// actions); they keep what was done, under the member's number.
		if err := tx.Model(&AuditEntry{}).Where("target = ?", openID).
			Update("target", "member #"+strconv.FormatUint(m.ID, 10)).Error; err != nil {
			return err
		}
		return tx.Model(&Member{}).Where("id = ?", m.ID).Updates(map[string]any{
			"open_id": ph, "union_id": "", "subscribed": false, "subscribe_scene": "",
			"referral_code": gorm.Expr("NULL"), "in_conversation": false, "updated_at": s.now(),
		}).Error
	})
	if err != nil {
		return nil, translate("erase member", err)
	}
	return &res, nil
}
