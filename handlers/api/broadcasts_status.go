package api

import (
	"fmt"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
	"github.com/fivec/fivec/wechat"
)

// What the API says about runs and audiences, as the console does: each
// run's status (waiting for quiet hours, failed, partly failed), failures
// apart from sends, reasons in words, and when a schedule really sends.

// Reason is one group of recipients a run could not reach (or an audience
// plan cannot), in words: WeChat's errcode with its explanation, or a
// reason kind (delivery.Why*). Why and Next are English, WhyZH and NextZH
// the console's Chinese.
type Reason struct {
	ErrCode int    `json:"errcode,omitempty"`
	Kind    string `json:"reason,omitempty"`
	Count   int64  `json:"count"`
	Why     string `json:"why"`
	Next    string `json:"next,omitempty"`
	WhyZH   string `json:"why_zh"`
	NextZH  string `json:"next_zh,omitempty"`
}

// RunReport is a run's report with its failures and skips in words.
type RunReport struct {
	models.BroadcastReport
	Failures []Reason `json:"failures"`
	Skips    []Reason `json:"skips"`
}

// Plan is an audience plan with why the unreachable cannot be reached.
type Plan struct {
	models.AudiencePlan
	Reasons []Reason `json:"unreachable_reasons"`
}

// Scheduled is a scheduled broadcast; Warning says when quiet hours hold
// its first run, and StartsAt when it will then really start sending.
type Scheduled struct {
	Broadcast
	Warning   string     `json:"warning,omitempty"`
	WarningZH string     `json:"warning_zh,omitempty"`
	StartsAt  *time.Time `json:"starts_at,omitempty"`
}

// catalogs are the console's texts (bc.why.*, bc.fix.*).
var catalogs = sync.OnceValue(func() map[string]templates.Catalog {
	c, _ := templates.LoadCatalogs() // embedded; a test keeps them loading
	return c
})

func kindReason(k delivery.KindCount) Reason {
	en, zh := catalogs()[templates.LangEN], catalogs()[templates.LangZH]
	return Reason{Kind: k.Kind, Count: k.Count, Why: en.T("bc.why." + k.Kind), Next: en.T("bc.fix." + k.Kind),
		WhyZH: zh.T("bc.why." + k.Kind), NextZH: zh.T("bc.fix." + k.Kind)}
}

func codeReason(code int, n int64) Reason {
	r := Reason{ErrCode: code, Count: n}
	r.Why, r.Next = wechat.DescribeCode(templates.LangEN, code)
	r.WhyZH, r.NextZH = wechat.DescribeCode(templates.LangZH, code)
	return r
}

// quiet is the account's quiet hours (delivery's rule).
func (h *Handler) quiet() delivery.QuietHours {
	q := delivery.QuietHoursOf(h.Policy)
	q.Loc = h.Loc
	return q
}

// reportInWords puts a report's failures and skips in words.
func (h *Handler) reportInWords(rep models.BroadcastReport) RunReport {
	rep.BroadcastProgress = h.quiet().RunStatus(rep.BroadcastProgress, h.Now())
	out := RunReport{BroadcastReport: rep, Failures: []Reason{}, Skips: []Reason{}}
	noCode := map[string]int64{}
	for _, f := range rep.Failures {
		if f.ErrCode == 0 {
			noCode[f.Reason] += f.Count
			continue
		}
		out.Failures = append(out.Failures, codeReason(f.ErrCode, f.Count))
	}
	for _, k := range delivery.GroupReasons(noCode, true) {
		out.Failures = append(out.Failures, kindReason(k))
	}
	for _, k := range delivery.GroupReasons(rep.ByReason, false) {
		out.Skips = append(out.Skips, kindReason(k))
	}
	return out
}

func planOut(p models.AudiencePlan) Plan {
	out := Plan{AudiencePlan: p, Reasons: []Reason{}}
	for _, k := range delivery.PlanReasons(p) {
		out.Reasons = append(out.Reasons, kindReason(k))
	}
	return out
}

// scheduledOut adds the quiet-hours warning to a scheduled broadcast.
func (h *Handler) scheduledOut(b *models.Broadcast) Scheduled {
	out := Scheduled{Broadcast: broadcastOut(b)}
	if b.NextRunAt == nil {
		return out
	}
	q := h.quiet()
	start, held := q.StartsAt(*b.NextRunAt)
	if held {
		at, st := b.NextRunAt.In(h.Loc).Format("2006-01-02 15:04"), start.In(h.Loc).Format("2006-01-02 15:04")
		out.Warning = fmt.Sprintf("%s falls in quiet hours (%s–%s, %s): sending starts when they end, at %s", at, q.From, q.To, h.Loc, st)
		out.WarningZH = fmt.Sprintf("所选时间 %s 处于免打扰时段（%s–%s），消息会在 %s 免打扰结束后才开始发送。", at, q.From, q.To, st)
		out.StartsAt = &start
	}
	return out
}

// lastRuns is each broadcast's newest run, its status included.
func (h *Handler) lastRuns(c *gin.Context, list []models.Broadcast) (map[uint64]models.BroadcastProgress, error) {
	ids := make([]uint64, 0, len(list))
	for _, b := range list {
		if b.Runs > 0 {
			ids = append(ids, b.ID)
		}
	}
	latest, err := h.Store.LatestRunProgress(c.Request.Context(), ids)
	q, now := h.quiet(), h.Now()
	for id, p := range latest {
		latest[id] = q.RunStatus(p, now)
	}
	return latest, err
}
