package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// shareForm is the new-link form as typed.
type shareForm struct {
	Title, TargetURL, Source string
	Error                    string
}

// shareLinkRow is a link with its source in words.
type shareLinkRow struct {
	models.ShareLink
	SourceText string
}

type sharesData struct {
	Rows    []shareLinkRow
	Form    shareForm
	CanEdit bool
	// Base is the public address the tracked paths go after.
	Base string
}

// shareRow is one fan of the tree, flattened in order with its depth.
type shareRow struct {
	*models.ShareNode
	Depth int // the CSS class depth-N, N at most 12
}

type shareData struct {
	Stats      *models.ShareLinkStats
	SourceText string
	Rows       []shareRow
	Spreaders  []models.Spreader
	Base       string
}

func (h *Handler) registerShares(a *gin.RouterGroup) {
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	a.GET("/shares", h.sharesList)
	a.GET("/shares/:id", h.sharePage)
	ed.POST("/shares", h.shareCreate)
}

func (h *Handler) sharesList(c *gin.Context) { h.renderShares(c, http.StatusOK, shareForm{}) }

func (h *Handler) renderShares(c *gin.Context, status int, f shareForm) {
	list, err := h.Store.ShareLinks(c.Request.Context(), "", 200)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := sharesData{Form: f, CanEdit: canEditCRM(c), Base: strings.TrimRight(h.PublicURL, "/")}
	for _, l := range list {
		d.Rows = append(d.Rows, shareLinkRow{ShareLink: l, SourceText: h.shareSource(c, l.Source)})
	}
	h.render(c, status, "shares", h.crmPage(c, "campaigns", "shares.title", d))
}

func (h *Handler) shareCreate(c *gin.Context) {
	f := shareForm{Title: c.PostForm("title"), TargetURL: c.PostForm("target_url"), Source: c.PostForm("source")}
	l := &models.ShareLink{Title: f.Title, TargetURL: f.TargetURL, Source: f.Source}
	err := h.Store.CreateShareLink(c.Request.Context(), l)
	if models.ErrorCode(err) == models.EINVALID {
		f.Error = h.errFor(c, err)
		h.renderShares(c, http.StatusBadRequest, f)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	id := strconv.FormatUint(l.ID, 10)
	web.Audit(c, h.Store, "share_link.create", l.Title, "id="+id)
	c.Redirect(http.StatusSeeOther, Base+"/shares/"+id)
}

// sharePage is a link's report: counts, by level, the share tree to any
// depth and the link's top spreaders.
func (h *Handler) sharePage(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		web.Error(c, models.Errorf(models.ENOTFOUND, "no such link"))
		return
	}
	ctx := c.Request.Context()
	st, err := h.Store.ShareLinkReport(ctx, id)
	if err != nil {
		web.Error(c, err)
		return
	}
	roots, err := h.Store.ShareTree(ctx, id)
	if err != nil {
		web.Error(c, err)
		return
	}
	top, err := h.Store.TopSpreaders(ctx, id, 10)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := shareData{Stats: st, Spreaders: top, Base: strings.TrimRight(h.PublicURL, "/"), SourceText: h.shareSource(c, st.Link.Source)}
	// Depth first, children under their parent, without recursion.
	stack := make([]*models.ShareNode, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, roots[i])
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d.Rows = append(d.Rows, shareRow{ShareNode: n, Depth: min(n.Depth, 12)})
		for i := len(n.Children) - 1; i >= 0; i-- {
			stack = append(stack, n.Children[i])
		}
	}
	h.render(c, http.StatusOK, "share", h.crmPage(c, "campaigns", "shares.title", d))
}

// shareSource says where a link went in words: "broadcast:12" is 群发 12,
// "rule:3" 规则 3, "menu" 菜单; anything else as staff typed it.
func (h *Handler) shareSource(c *gin.Context, src string) string {
	kind, arg, _ := strings.Cut(src, ":")
	switch kind {
	case "broadcast", "rule", "journey", "menu", "member":
		return strings.TrimSpace(h.Pages.T(h.lang(c), "shares.src."+kind) + " " + arg)
	}
	return src
}
