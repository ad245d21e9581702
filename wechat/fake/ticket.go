package fake

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// TicketTTL is the life of a jsapi_ticket (7200 s, as on the platform).
const TicketTTL = 7200 * time.Second

// handleGetTicket is GET /cgi-bin/ticket/getticket?type=jsapi: a new ticket
// on every call (the platform limits the calls a day, which is why fivec
// shares one across processes); type other than jsapi or wx_card → 40097.
func (s *Server) handleGetTicket(c *apiCall) reply {
	switch c.query.Get("type") {
	case "jsapi", "wx_card":
	default:
		return fail(40097, "type")
	}
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	return ok(map[string]any{"ticket": base64.RawURLEncoding.EncodeToString(b), "expires_in": int(TicketTTL / time.Second)})
}
