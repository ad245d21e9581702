package roles

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/fivec/fivec/models"
)

// This is when a journey's steps are due and what each sends (Tick runs
// it). The store keeps the facts and does each step in one transaction
// (models.Store.AdvanceEnrollment).

// Advance is what one AdvanceJourney run did.
type Advance struct {
	Pushed, Skipped, Exited int
}

// AdvanceJourney handles j's due steps (at most limit members per step):
// a step is due AfterMinutes after the member entered. Each due step becomes
// a push for that member (kind "care", delivered by the delivery engine), or
// is skipped when the member does not match its condition, and the enrolment
// moves on. A member who unfollowed or met the goal leaves instead.
func AdvanceJourney(ctx context.Context, s *models.Store, j *models.Journey, limit int) (Advance, error) {
	var out Advance
	if j.State != models.JourneyActive {
		return out, nil
	}
	now := s.Now().UTC().Truncate(time.Millisecond) // as the store stamps enrolments
	for p := range j.Steps {
		due := now.Add(-j.Steps[p].Delay()) // entered by then: the step is due
		ids, err := s.DueEnrollments(ctx, j, p, due, limit)
		if err != nil {
			return out, err
		}
		for _, id := range ids {
			res, err := s.AdvanceEnrollment(ctx, j, p, id, stepPush(j, p))
			if err != nil {
				return out, err
			}
			switch res {
			case models.StepExited:
				out.Exited++
			case models.StepSkipped:
				out.Skipped++
			case models.StepPushed:
				out.Pushed++
			}
		}
	}
	return out, nil
}

// stepPush is the push step p of j sends; its name is what the console's
// delivery pages show.
func stepPush(j *models.Journey, p int) models.NewPush {
	st := &j.Steps[p]
	name := truncateUTF8(fmt.Sprintf("关怀：%s 第%d步", j.Name, p+1), 191)
	return models.NewPush{Kind: "care", Name: name, Reply: st.Reply(), TemplateID: st.TemplateID,
		TemplateData: st.TemplateFields(), StaffID: j.StaffID}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
