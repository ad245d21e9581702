package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// ShareLink is a tracked link (docs/fan-pages.md, "Sharing").
type ShareLink struct {
	ID        uint64 `json:"id"`
	Title     string `json:"title"`
	TargetURL string `json:"target_url"`
	Source    string `json:"source"`
	// TrackedPath is what to put in a broadcast, rule reply or menu
	// (after the public address): /fan/t/<id>.
	TrackedPath  string    `json:"tracked_path"`
	OutsideOpens int64     `json:"outside_opens"`
	CreatedAt    time.Time `json:"created_at"`
}

func shareLinkOut(l *models.ShareLink) ShareLink {
	return ShareLink{ID: l.ID, Title: l.Title, TargetURL: l.TargetURL, Source: l.Source,
		TrackedPath: "/fan/t/" + strconv.FormatUint(l.ID, 10), OutsideOpens: l.OutsideOpens, CreatedAt: l.CreatedAt}
}

// ShareLinkRequest is the body of POST /share-links.
type ShareLinkRequest struct {
	Title     string `json:"title"`
	TargetURL string `json:"target_url"`
	Source    string `json:"source"`
}

// ShareLevel is one interaction level's part of a link's report.
type ShareLevel struct {
	Level   string `json:"level"` // "none": openers who do not follow
	Openers int64  `json:"openers"`
	Sharers int64  `json:"sharers"`
}

// ShareReport is GET /share-links/:id/report.
type ShareReport struct {
	Link         ShareLink    `json:"link"`
	Opens        int64        `json:"opens"`
	Openers      int64        `json:"openers"`
	OwnOpens     int64        `json:"own_opens"`
	FriendOpens  int64        `json:"friend_opens"`
	Sharers      int64        `json:"sharers"`
	Follows      int64        `json:"follows"`
	PointsPaid   int64        `json:"points_paid"`
	MaxDepth     int          `json:"max_depth"`
	ByLevel      []ShareLevel `json:"by_level"`
	OutsideOpens int64        `json:"outside_opens"`
}

// ShareNode is one fan in a share tree.
type ShareNode struct {
	OpenID   string      `json:"openid"`
	Level    string      `json:"level"`
	Depth    int         `json:"depth"`
	Opens    int64       `json:"opens"`
	Paid     int64       `json:"paid"` // what the parent earned for this fan
	Followed bool        `json:"followed"`
	Friends  int         `json:"friends"`
	Reach    int         `json:"reach"`
	FirstAt  *time.Time  `json:"first_at,omitempty"` // null for a sharer who never opened it
	Children []ShareNode `json:"children"`
}

func shareNodeOut(n *models.ShareNode) ShareNode {
	out := ShareNode{OpenID: n.OpenID, Level: n.Level, Depth: n.Depth, Opens: n.Opens, Paid: n.Paid, Followed: n.Followed,
		Friends: n.Friends, Reach: n.Reach, Children: []ShareNode{}}
	if !n.FirstAt.IsZero() {
		at := n.FirstAt
		out.FirstAt = &at
	}
	for _, c := range n.Children {
		out.Children = append(out.Children, shareNodeOut(c))
	}
	return out
}

// Spreader is one row of GET /share-spreaders.
type Spreader struct {
	OpenID  string `json:"openid"`
	Level   string `json:"level"`
	Friends int64  `json:"friends"`
	Follows int64  `json:"follows"`
	Points  int64  `json:"points"`
	Links   int64  `json:"links"`
}

func (h *Handler) registerShares(g, ed *gin.RouterGroup) {
	g.GET("/share-links", h.shareLinks)
	g.GET("/share-links/:id/report", h.shareReport)
	g.GET("/share-links/:id/tree", h.shareTree)
	g.GET("/share-spreaders", h.shareSpreaders)
	ed.POST("/share-links", h.shareLinkCreate)
}

func (h *Handler) shareLinks(c *gin.Context) {
	list, err := h.Store.ShareLinks(c.Request.Context(), c.Query("source"), 0)
	respondList(c, list, err, shareLinkOut)
}

func (h *Handler) shareLinkCreate(c *gin.Context) {
	var req ShareLinkRequest
	if !bindJSON(c, &req) {
		return
	}
	l := &models.ShareLink{Title: req.Title, TargetURL: req.TargetURL, Source: req.Source}
	if err := h.Store.CreateShareLink(c.Request.Context(), l); err != nil {
		web.Error(c, err)
		return
	}
	id := strconv.FormatUint(l.ID, 10)
	web.Audit(c, h.Store, "share_link.create", l.Title, "id="+id+" via API")
	c.Header("Location", "/api/v1/share-links/"+id+"/report")
	c.JSON(http.StatusCreated, shareLinkOut(l))
}

func (h *Handler) shareReport(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	st, err := h.Store.ShareLinkReport(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := ShareReport{Link: shareLinkOut(&st.Link), Opens: st.Opens, Openers: st.Openers, OwnOpens: st.OwnOpens,
		FriendOpens: st.FriendOpens, Sharers: st.Sharers, Follows: st.Follows, PointsPaid: st.PointsPaid,
		MaxDepth: st.MaxDepth, ByLevel: []ShareLevel{}, OutsideOpens: st.Link.OutsideOpens}
	for _, l := range st.ByLevel {
		out.ByLevel = append(out.ByLevel, ShareLevel{Level: l.Level, Openers: l.Openers, Sharers: l.Sharers})
	}
	c.JSON(http.StatusOK, out)
}

func (h *Handler) shareTree(c *gin.Context) {
	l, ok := findByID(c, h.Store.ShareLinkByID)
	if !ok {
		return
	}
	roots, err := h.Store.ShareTree(c.Request.Context(), l.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[ShareNode]{Items: make([]ShareNode, 0, len(roots))}
	for _, r := range roots {
		out.Items = append(out.Items, shareNodeOut(r))
	}
	c.JSON(http.StatusOK, out)
}

// shareSpreaders lists the top spreaders (?link=<id> for one link,
// ?limit=, at most 500, default 20).
func (h *Handler) shareSpreaders(c *gin.Context) {
	var link uint64
	if v := c.Query("link"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			web.Error(c, models.Errorf(models.EINVALID, "link must be a link id"))
			return
		}
		link = n
	}
	limit := 20
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			web.Error(c, models.Errorf(models.EINVALID, "limit must be 1-500"))
			return
		}
		limit = n
	}
	list, err := h.Store.TopSpreaders(c.Request.Context(), link, limit)
	respondList(c, list, err, func(s *models.Spreader) Spreader {
		return Spreader{OpenID: s.OpenID, Level: s.Level, Friends: s.Friends, Follows: s.Follows, Points: s.Points, Links: s.Links}
	})
}
