package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

const pageSize = 50

// pager is the previous/next navigation of a listing.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

// newPager builds the navigation for page (1-based) of total rows, keeping
// the other query parameters of u.
func newPager(u *url.URL, page int, total int64) pager {
	p := pager{Page: page, Pages: int((total + pageSize - 1) / pageSize)}
	link := func(n int) string {
		q := u.Query()
		q.Del("ok")
		q.Set("page", strconv.Itoa(n))
		return u.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// pageParam reads ?page=, at least 1.
func pageParam(c *gin.Context) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

type membersData struct {
	Q, Subscribed  string
	Stage, Level   string
	Channel        string
	Stages, Levels []string
	Members        []models.Member
	Total          int64
	Pager          pager
	Completeness   models.ProfileCompleteness
	Sync           syncData
	Channels       map[string]string // scene → channel name
	// Start: the account is new (no members, no rules): the page shows
	// a getting-started card pointing to the rules and the simulator.
	Start bool
}

// members lists members with search (openid/unionid substring), filters
// (following, stage, level, channel) and paging, under the profile
// completeness and the follower sync.
func (h *Handler) members(c *gin.Context) {
	ctx := c.Request.Context()
	page := pageParam(c)
	d, q := memberSearch(c, page)
	var err error
	if d.Members, d.Total, err = h.Store.SearchMembers(ctx, q); err == nil {
		d.Completeness, err = h.Store.Completeness(ctx)
	}
	if err == nil {
		d.Sync, err = h.syncData(c)
	}
	if err == nil {
		d.Channels, err = h.channelNames(ctx)
	}
	if err == nil && d.Total == 0 && c.Request.URL.RawQuery == "" {
		var rules []models.Rule
		rules, err = h.Store.ListRules(ctx)
		d.Start = len(rules) == 0
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	d.Pager = newPager(c.Request.URL, page, d.Total)
	h.render(c, http.StatusOK, "members", h.crmPage(c, "members", "members.title", d))
}

// memberSearch reads the list's filters from the query. Unknown values in
// a hand-edited URL filter nothing rather than fail.
func memberSearch(c *gin.Context, page int) (membersData, models.MemberSearch) {
	d := membersData{Q: strings.TrimSpace(c.Query("q")), Subscribed: c.Query("subscribed"), Stage: c.Query("stage"),
		Level: c.Query("level"), Channel: strings.TrimSpace(c.Query("channel")), Stages: models.Stages, Levels: models.Levels}
	q := models.MemberSearch{Query: d.Q, Limit: pageSize, Offset: (page - 1) * pageSize}
	if d.Subscribed == "yes" || d.Subscribed == "no" {
		q.Filter.Subscribed = yesNo(d.Subscribed)
	} else {
		d.Subscribed = ""
	}
	if slices.Contains(models.Stages, d.Stage) {
		q.Filter.Stages = []string{d.Stage}
	} else {
		d.Stage = ""
	}
	if slices.Contains(models.Levels, d.Level) {
		q.Filter.Levels = []string{d.Level}
	} else {
		d.Level = ""
	}
	if d.Channel != "" {
		q.Filter.Channels = []string{d.Channel}
	}
	return d, q
}

// convItem is one bubble of a conversation.
type convItem struct {
	At              time.Time
	FromFan         bool
	Kind, Text      string
	Event, EventKey string
	Channel, State  string
	ErrCode         int
	Error           string
	// EventText is the event in words; ErrWhat and ErrNext are why a send
	// failed and what to do next (from wechat's errcode catalogue).
	EventText        string
	ErrWhat, ErrNext string
	// Media is what the bubble shows beyond text (a picture, a voice
	// note, a video, a location, a link); nil for none.
	Media *convMedia
}

type memberData struct {
	Member *models.Member
	// Channel names the QR channel the member followed through.
	Channel string
	Items   []convItem
	CRM     *memberCRM
	// FanSideOnly: the reader is a marketer, who sees the fan's messages
	// and the bot's answers but not what agents wrote (ConversationFor).
	FanSideOnly bool
}

// member shows one member: profile, stage and level, tags, points,
// referrals, redemptions and the whole conversation.
func (h *Handler) member(c *gin.Context) { h.memberPage(c, http.StatusOK, memberForm{}) }

// memberPage renders the member page; f carries what staff typed into one
// of its forms and why it was refused.
func (h *Handler) memberPage(c *gin.Context, status int, f memberForm) {
	m, err := h.Store.FindMemberByOpenID(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	st := web.CurrentStaff(c)
	msgs, err := h.Store.ConversationFor(c.Request.Context(), st, m.OpenID, 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	crm, err := h.memberCRM(c, m, f)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := memberData{Member: m, Items: h.conversation(c.Request.Context(), h.lang(c), msgs), CRM: crm, FanSideOnly: !st.ReadsChats()}
	if d.Channel, err = h.channelName(c.Request.Context(), m.SubscribeScene); err != nil {
		web.Error(c, err)
		return
	}
	h.render(c, status, "member", h.crmPage(c, "members", "members.title", d))
}

// conversation turns the message log into bubbles. An inbound row carries
// the bot's answer: when it was "replied", its first reply went back
// passively (follow-ups and deferred answers went as customer-service
// messages and have their own outbound rows, so they are not repeated).
// Events and failures are put in words in lang.
func (h *Handler) conversation(ctx context.Context, lang string, msgs []models.Message) []convItem {
	var out []convItem
	var menu map[string]string
	files := h.fanFilesOf(ctx, msgs)
	for _, m := range msgs {
		if m.Direction == models.DirectionOut {
			it := convItem{At: m.CreatedAt, Kind: m.MsgType, Text: outboundText(m),
				Channel: m.Channel, State: m.State, ErrCode: m.ErrCode, Error: m.Error}
			if rs, err := m.DecodedReplies(); err == nil && len(rs) > 0 && h.FanFiles != nil {
				it.Media = sentMedia(m.OpenID, rs[0])
			}
			it.ErrWhat, it.ErrNext = h.sendError(lang, m.ErrCode, m.Error)
			out = append(out, it)
			continue
		}
		it := convItem{At: m.CreatedAt, FromFan: true, Kind: m.MsgType, Text: m.Content,
			Event: m.Event, EventKey: m.EventKey, State: m.State}
		if m.Event != "" {
			if menu == nil {
				menu = h.menuNames(ctx)
			}
			it.EventText = h.messageEventText(lang, m, menu)
		} else if m.MsgType != models.ReplyText {
			it.Media = fanMedia(m, files[m.ID])
			if it.Media != nil || it.Text == "" {
				it.Text = h.kindText(lang, m.MsgType)
			}
		}
		out = append(out, it)
		if m.State != models.StateReplied {
			continue
		}
		if replies, err := m.DecodedReplies(); err == nil && len(replies) > 0 {
			r := replies[0]
			it := convItem{At: m.UpdatedAt, Kind: r.Kind, Text: r.Summary(), Channel: models.ChannelPassive}
			if h.FanFiles != nil {
				it.Media = sentMedia(m.OpenID, r)
			}
			out = append(out, it)
		}
	}
	return out
}

// outboundText is the summary of what was sent, from the stored reply when
// it decodes.
func outboundText(m models.Message) string {
	if rs, err := m.DecodedReplies(); err == nil && len(rs) > 0 {
		return rs[0].Summary()
	}
	return m.Content
}
