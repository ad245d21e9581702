package console

import (
	"net/http"
	"net/url"
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
	Q, Subscribed string
	Members       []models.Member
	Total         int64
	Pager         pager
}

// members lists members with search (openid/unionid substring), a
// following filter and paging.
func (h *Handler) members(c *gin.Context) {
	d := membersData{Q: strings.TrimSpace(c.Query("q")), Subscribed: c.Query("subscribed")}
	page := pageParam(c)
	f := models.MemberFilter{Query: d.Q, Limit: pageSize, Offset: (page - 1) * pageSize}
	switch d.Subscribed {
	case "yes", "no":
		yes := d.Subscribed == "yes"
		f.Subscribed = &yes
	default:
		d.Subscribed = ""
	}
	var err error
	d.Members, d.Total, err = h.Store.ListMembers(c.Request.Context(), f)
	if err != nil {
		web.Error(c, err)
		return
	}
	d.Pager = newPager(c.Request.URL, page, d.Total)
	h.render(c, http.StatusOK, "members", h.page(c, "members", "members.title", d))
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
}

type memberData struct {
	Member *models.Member
	Items  []convItem
}

// member shows one member and their whole conversation.
func (h *Handler) member(c *gin.Context) {
	m, err := h.Store.FindMemberByOpenID(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	msgs, err := h.Store.Conversation(c.Request.Context(), m.OpenID, 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := memberData{Member: m, Items: conversation(msgs)}
	h.render(c, http.StatusOK, "member", h.page(c, "members", "members.title", d))
}

// conversation turns the message log into bubbles. An inbound row carries
// the bot's answer: when it was "replied", its first reply went back
// passively (follow-ups and deferred answers went as customer-service
// messages and have their own outbound rows, so they are not repeated).
func conversation(msgs []models.Message) []convItem {
	var out []convItem
	for _, m := range msgs {
		if m.Direction == models.DirectionOut {
			out = append(out, convItem{At: m.CreatedAt, Kind: m.MsgType, Text: outboundText(m),
				Channel: m.Channel, State: m.State, ErrCode: m.ErrCode, Error: m.Error})
			continue
		}
		out = append(out, convItem{At: m.CreatedAt, FromFan: true, Kind: m.MsgType, Text: m.Content,
			Event: m.Event, EventKey: m.EventKey, State: m.State})
		if m.State != models.StateReplied {
			continue
		}
		if replies, err := m.DecodedReplies(); err == nil && len(replies) > 0 {
			r := replies[0]
			out = append(out, convItem{At: m.UpdatedAt, Kind: r.Kind, Text: r.Summary(), Channel: models.ChannelPassive})
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
