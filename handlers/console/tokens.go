package console

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

type tokensData struct {
	Tokens []models.APIToken
	Plain  string // the new token, shown once
}

func (h *Handler) tokens(c *gin.Context) { h.tokensPage(c, http.StatusOK, "", nil) }

// tokensPage lists the staff member's own tokens; plain is a token just
// created, err a known error to show.
func (h *Handler) tokensPage(c *gin.Context, status int, plain string, err error) {
	list, lerr := h.Store.ListAPITokens(c.Request.Context(), web.CurrentStaff(c).ID)
	if lerr != nil {
		web.Error(c, lerr)
		return
	}
	p := h.page(c, "tokens", "tokens.title", tokensData{Tokens: list, Plain: plain})
	if err != nil {
		p.Error = h.errFor(c, err)
	}
	h.render(c, status, "tokens", p)
}

// createToken issues a token and shows it this once (audited). The page is
// the POST's answer rather than a redirect, so the token never sits in a URL.
func (h *Handler) createToken(c *gin.Context) {
	plain, tok, err := h.Store.CreateAPIToken(c.Request.Context(), web.CurrentStaff(c).ID, c.PostForm("name"))
	if err != nil {
		if models.ErrorCode(err) == models.EINVALID {
			h.tokensPage(c, http.StatusBadRequest, "", err)
			return
		}
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "token.create", tok.Name, "id="+strconv.FormatUint(tok.ID, 10))
	h.tokensPage(c, http.StatusCreated, plain, nil)
}

// deleteToken revokes one of the staff member's own tokens (audited).
func (h *Handler) deleteToken(c *gin.Context) {
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	if err := h.Store.DeleteAPIToken(c.Request.Context(), web.CurrentStaff(c).ID, id); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "token.revoke", c.Param("id"), "")
	redirect(c, Base+"/tokens", "tokens.revoked")
}
