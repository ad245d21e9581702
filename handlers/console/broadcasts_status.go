package console

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// What the broadcast pages say about runs: each run's status (waiting for
// quiet hours with the time it resumes, failed, partly failed), failures
// apart from sends, reasons in words, and when a schedule really sends.

// bcStatus is a broadcast's status badge: its own state, except that a
// started one-off ("sent": it started) shows what its run amounts to, and a
// run under way shows beside any other state (a recurring broadcast).
type bcStatus struct {
	State string
	Run   *models.BroadcastProgress
}

// quiet is the account's quiet hours (delivery's rule).
func (h *Handler) quiet() delivery.QuietHours {
	q := delivery.QuietHoursOf(h.Policy)
	q.Loc = h.Loc
	return q
}

// listStatuses is each listed broadcast's status, from its newest run.
func (h *Handler) listStatuses(c *gin.Context, list []models.Broadcast) (map[uint64]bcStatus, error) {
	ids := make([]uint64, 0, len(list))
	for _, b := range list {
		if b.Runs > 0 {
			ids = append(ids, b.ID)
		}
	}
	latest, err := h.Store.LatestRunProgress(c.Request.Context(), ids)
	if err != nil {
		return nil, err
	}
	q, now := h.quiet(), h.Now()
	out := make(map[uint64]bcStatus, len(list))
	for _, b := range list {
		st := bcStatus{State: b.State}
		if p, ok := latest[b.ID]; ok {
			p = q.RunStatus(p, now)
			st.Run = &p
		}
		out[b.ID] = st
	}
	return out, nil
}

// bcRun is a run with its bar: parts of 1000 for sent, failed, unknown,
// skipped and left (SVG rects: the CSP forbids inline styles).
type bcRun struct {
	models.BroadcastProgress
	Bar []barSeg
}

type barSeg struct {
	Class string
	X, W  int64
}

func runView(p models.BroadcastProgress) bcRun {
	r := bcRun{BroadcastProgress: p}
	if p.Total <= 0 {
		return r
	}
	left := "seg-left"
	if p.Waiting > 0 {
		left = "seg-waiting"
	}
	var x, done int64
	for _, part := range []struct {
		class string
		n     int64
	}{{"seg-sent", p.Sent}, {"seg-failed", p.Failed}, {"seg-unknown", p.Unknown}, {"seg-skipped", p.Skipped}, {left, p.Remaining}} {
		if part.n <= 0 {
			continue
		}
		done += part.n
		end := done * 1000 / p.Total
		r.Bar = append(r.Bar, barSeg{Class: part.class, X: x, W: max(end-x, 4)})
		x = end
	}
	return r
}

func runViews(runs []models.BroadcastProgress) []bcRun {
	out := make([]bcRun, len(runs))
	for i, p := range runs {
		out[i] = runView(p)
	}
	return out
}

// bcStart is when a schedule will really send: Held when quiet hours
// hold it, with Start the time they end.
type bcStart struct {
	At, Start time.Time
	Held      bool
	From, To  string
	Error     string
}

// startOf checks a run due at `at` against the quiet hours.
func (h *Handler) startOf(at time.Time) bcStart {
	q := h.quiet()
	start, held := q.StartsAt(at)
	return bcStart{At: at, Start: start, Held: held, From: q.From, To: q.To}
}

// broadcastStarts answers the schedule form as it is filled in (htmx):
// whether the chosen time or the cron's next run falls in quiet hours, and
// when sending will then start.
func (h *Handler) broadcastStarts(c *gin.Context) {
	sc := models.BroadcastSchedule{Cron: strings.TrimSpace(c.PostForm("cron"))}
	now := h.Now()
	if c.PostForm("now") != "" {
		sc.At = &now
	} else if sc.Cron == "" {
		at, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(c.PostForm("at")), h.Loc)
		if err != nil {
			h.fragment(c, "broadcast", "bc_starts", bcStart{})
			return
		}
		sc.At = &at
	}
	first, err := sc.FirstRun(h.Loc, now)
	if err != nil || first.IsZero() {
		h.fragment(c, "broadcast", "bc_starts", bcStart{Error: h.Pages.T(h.lang(c), "bc.starts_bad_cron")})
		return
	}
	h.fragment(c, "broadcast", "bc_starts", h.startOf(first))
}

// bcReason is one group of a run's failures or skips in words.
type bcReason struct {
	ErrCode    int
	Kind       string
	What, Next string
	Count      int64
}

// reportReasons puts a report's failures and skips in words: failures by
// errcode with wechat's explanation, those without one and skips by kind.
func (h *Handler) reportReasons(c *gin.Context, r models.BroadcastReport) (failures, skips []bcReason) {
	lang := h.lang(c)
	noCode := map[string]int64{}
	for _, f := range r.Failures {
		if f.ErrCode == 0 {
			noCode[f.Reason] += f.Count
			continue
		}
		what, next := wechat.DescribeCode(lang, f.ErrCode)
		failures = append(failures, bcReason{ErrCode: f.ErrCode, What: what, Next: next, Count: f.Count})
	}
	for _, k := range delivery.GroupReasons(noCode, true) {
		failures = append(failures, h.kindReason(lang, k))
	}
	for _, k := range delivery.GroupReasons(r.ByReason, false) {
		skips = append(skips, h.kindReason(lang, k))
	}
	return failures, skips
}

func (h *Handler) kindReason(lang string, k delivery.KindCount) bcReason {
	return bcReason{Kind: k.Kind, What: h.Pages.T(lang, "bc.why."+k.Kind), Next: h.Pages.T(lang, "bc.fix."+k.Kind), Count: k.Count}
}

// bcPlanView is an audience plan with why each unreachable group cannot be
// reached and what would reach it.
type bcPlanView struct {
	models.AudiencePlan
	Reasons []bcReason
}

func (h *Handler) planView(c *gin.Context, p models.AudiencePlan) bcPlanView {
	v := bcPlanView{AudiencePlan: p}
	for _, k := range delivery.PlanReasons(p) {
		v.Reasons = append(v.Reasons, h.kindReason(h.lang(c), k))
	}
	return v
}
