package console

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Timings of the live inbox stream.
const (
	// eventPoll is how often the stream asks the database whether any
	// conversation changed. InboxVersion is two indexed queries, and
	// polling the database works across processes with no message bus.
	eventPoll = 1500 * time.Millisecond
	// presenceBeat refreshes the agent's presence (models.PresenceTimeout
	// is 2 min) while their inbox is open.
	presenceBeat = 30 * time.Second
	// keepAlive comments stop proxies from closing a quiet stream.
	keepAlive = 15 * time.Second
	// streamLife ends a stream so the browser reconnects. The session
	// itself is re-checked on every poll (stillAllowed), so a disabled
	// account, a changed role or an ended session stops the stream within
	// one poll, on whichever replica serves it.
	streamLife = 10 * time.Minute
)

// inboxEvent is the data of an "inbox" server-sent event.
type inboxEvent struct {
	Version string `json:"version"`
	models.InboxCounts
}

// inboxEvents streams an "inbox" event whenever any conversation changes
// (and once at the start), keeping the agent present while it runs.
func (h *Handler) inboxEvents(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	// The server's WriteTimeout would cut a long stream; lift it for this one.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)
	if _, err := fmt.Fprint(c.Writer, "retry: 3000\n\n"); err != nil {
		return
	}
	c.Writer.Flush()

	h.beat(c, st.ID)
	poll := time.NewTicker(eventPoll)
	defer poll.Stop()
	end := time.NewTimer(streamLife)
	defer end.Stop()
	last, lastBeat, lastWrite := "", time.Now(), time.Now()
	cookie, _ := c.Cookie(web.SessionCookie)
	for {
		if !h.stillAllowed(c, cookie) {
			return
		}
		v, err := h.Store.InboxVersion(ctx)
		if err != nil && ctx.Err() == nil {
			h.Log.Warn("inbox events", "err", err)
		}
		if err == nil && v != last {
			n, err := h.Store.CountInbox(ctx, st.ID)
			if err == nil {
				body, _ := json.Marshal(inboxEvent{Version: v, InboxCounts: n})
				if _, err := fmt.Fprintf(c.Writer, "event: inbox\ndata: %s\n\n", body); err != nil {
					return
				}
				c.Writer.Flush()
				last, lastWrite = v, time.Now()
			}
		}
		if time.Since(lastWrite) >= keepAlive {
			if _, err := fmt.Fprint(c.Writer, ": ping\n\n"); err != nil {
				return
			}
			c.Writer.Flush()
			lastWrite = time.Now()
		}
		if time.Since(lastBeat) >= presenceBeat {
			h.beat(c, st.ID)
			lastBeat = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-h.Closing:
			return // the browser reconnects to another replica, or to us once restarted
		case <-end.C:
			return
		case <-poll.C:
		}
	}
}

// stillAllowed reports whether the stream's session is still valid and its
// account still enabled and allowed the inbox. Only a definite "no" ends
// the stream; a database hiccup does not.
func (h *Handler) stillAllowed(c *gin.Context, cookie string) bool {
	_, st, err := h.Store.SessionStaff(c.Request.Context(), cookie)
	switch {
	case err == nil:
		return web.HasRole(st, models.RoleAdmin, models.RoleAgent)
	case models.ErrorCode(err) == models.EUNAUTHORIZED:
		return false
	default:
		return c.Request.Context().Err() == nil
	}
}

// beat records that the agent's inbox is open.
func (h *Handler) beat(c *gin.Context, staffID uint64) {
	if err := h.Store.AgentHeartbeat(c.Request.Context(), staffID); err != nil && c.Request.Context().Err() == nil {
		h.Log.Warn("agent heartbeat", "err", err)
	}
}

// alertSound is the chime for a new waiting chat.
func (h *Handler) alertSound(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "audio/wav", alertWAV())
}

// alertWAV builds a short two-note chime once: 8 kHz, 8-bit mono PCM, so
// no sound file has to ship or be fetched from elsewhere.
var alertWAV = sync.OnceValue(func() []byte {
	const rate = 8000
	notes := []struct {
		hz  float64
		dur float64
	}{{880, 0.11}, {1320, 0.16}}
	var pcm []byte
	for _, n := range notes {
		count := int(n.dur * rate)
		for i := range count {
			t := float64(i) / rate
			env := math.Min(1, float64(i)/80) * (1 - float64(i)/float64(count)) // quick attack, linear fade
			pcm = append(pcm, byte(128+80*env*math.Sin(2*math.Pi*n.hz*t)))
		}
	}
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(pcm)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))   // fmt chunk size
	le(uint16(1))    // PCM
	le(uint16(1))    // mono
	le(uint32(rate)) // sample rate
	le(uint32(rate)) // byte rate
	le(uint16(1))    // block align
	le(uint16(8))    // bits per sample
	b.WriteString("data")
	le(uint32(len(pcm)))
	b.Write(pcm)
	return b.Bytes()
})
