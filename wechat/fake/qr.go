package fake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// QR code limits from wechat-platform.md §6.
const (
	maxQRExpire       = 2592000 // seconds, 30 days
	defaultQRExpire   = 60      // when expire_seconds is left out
	maxLimitSceneID   = 100000  // permanent scene_id range 1..100000
	maxSceneStrLength = 64
)

// QRCode is a parametric QR code created through /cgi-bin/qrcode/create.
type QRCode struct {
	AppID  string
	Ticket string
	// Scene is scene_id in decimal, or scene_str.
	Scene     string
	Action    string    // QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE, QR_LIMIT_STR_SCENE
	ExpiresAt time.Time // zero for permanent codes
	URL       string    // the content encoded in the image
}

// LookupTicket returns the QR code behind a ticket; ok is false for unknown
// or expired tickets (a fan can no longer scan those).
func (s *Server) LookupTicket(ticket string) (QRCode, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.tickets[ticket]
	if q == nil || (!q.ExpiresAt.IsZero() && !s.opts.Now().Before(q.ExpiresAt)) {
		return QRCode{}, false
	}
	return *q, true
}

// SceneForTicket returns the scene a ticket encodes, for the simulator to
// "scan" it (pass the scene to Scan with the code's AppID).
func (s *Server) SceneForTicket(ticket string) (scene string, ok bool) {
	q, ok := s.LookupTicket(ticket)
	return q.Scene, ok
}

// ticketForScene returns the newest live ticket of appID for scene, "" if
// none: a fan's subscribe/SCAN event carries it.
func (s *Server) ticketForScene(appID, scene string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return ""
	}
	t := a.sceneTickets[scene]
	if q := s.tickets[t]; q == nil || (!q.ExpiresAt.IsZero() && !s.opts.Now().Before(q.ExpiresAt)) {
		return ""
	}
	return t
}

// handleQRCreate is POST /cgi-bin/qrcode/create. Bad action_name, scene_id
// (0, out of range), scene_str (empty, over 64) or expire_seconds (over 30
// days) answer 40097. Success carries no errcode, as on the platform.
func (s *Server) handleQRCreate(c *apiCall) reply {
	var req struct {
		ExpireSeconds int64  `json:"expire_seconds"`
		ActionName    string `json:"action_name"`
		ActionInfo    struct {
			Scene struct {
				SceneID  *int64 `json:"scene_id"`
				SceneStr string `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	sc := req.ActionInfo.Scene
	var id int64
	if sc.SceneID != nil {
		id = *sc.SceneID
	}
	q := &QRCode{AppID: c.acct.AppID, Action: req.ActionName}
	switch req.ActionName {
	case "QR_SCENE":
		if id <= 0 || id > math.MaxUint32 {
			return fail(40097, "scene_id must be a non-zero 32-bit integer")
		}
		q.Scene = strconv.FormatInt(id, 10)
	case "QR_LIMIT_SCENE":
		if id < 1 || id > maxLimitSceneID {
			return fail(40097, "scene_id must be 1 to 100000")
		}
		q.Scene = strconv.FormatInt(id, 10)
	case "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
		if sc.SceneStr == "" || len(sc.SceneStr) > maxSceneStrLength {
			return fail(40097, "scene_str must be 1 to 64 characters")
		}
		q.Scene = sc.SceneStr
	default:
		return fail(40097, "action_name")
	}
	permanent := strings.HasPrefix(req.ActionName, "QR_LIMIT")
	body := map[string]any{}
	if !permanent {
		exp := req.ExpireSeconds
		if exp == 0 {
			exp = defaultQRExpire
		}
		if exp < 0 || exp > maxQRExpire {
			return fail(40097, "expire_seconds must be at most 2592000")
		}
		q.ExpiresAt = c.now.Add(time.Duration(exp) * time.Second)
		body["expire_seconds"] = exp
	}
	q.Ticket = s.newTicket(q.AppID)
	q.URL = "http://weixin.qq.com/q/" + strings.ReplaceAll(q.Ticket[2:24], "/", "_")
	s.tickets[q.Ticket] = q
	c.acct.sceneTickets[q.Scene] = q.Ticket
	body["ticket"], body["url"] = q.Ticket, q.URL
	return data(body)
}

// newTicket makes a ticket shaped like the platform's ("gQ…=="): standard
// base64 with padding, so a caller that forgets to URL-encode it in
// showqrcode is caught by '/' and '='. It never contains '+', which an
// unencoded query would turn into a space and make tests flaky.
func (s *Server) newTicket(appID string) string {
	for {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(s.nextSeq()))
		sum := sha256.Sum256(append([]byte(appID+"\x00"), buf[:]...))
		t := "gQ" + base64.StdEncoding.EncodeToString(sum[:28]) // 28 bytes → "==" padding
		if !strings.Contains(t, "+") && s.tickets[t] == nil {
			return t
		}
	}
}

// handleShowQR is GET /cgi-bin/showqrcode?ticket= (mp.weixin.qq.com on the
// platform): a PNG for a live ticket, 404 otherwise.
func (s *Server) handleShowQR(c *apiCall) reply {
	q := s.tickets[c.query.Get("ticket")]
	if q == nil || (!q.ExpiresAt.IsZero() && !c.now.Before(q.ExpiresAt)) {
		return reply{status: http.StatusNotFound, code: 0, raw: []byte("ticket not found\n"),
			contentType: "text/plain; charset=utf-8"}
	}
	c.appID = q.AppID
	img, err := qrPicture(q.Ticket)
	if err != nil {
		return fail(-1, err.Error())
	}
	return reply{raw: img, contentType: "image/png"}
}

// qrPicture draws a QR-looking PNG (finder squares plus modules from the
// ticket's hash). It is not a scannable QR code: the simulator scans by
// ticket, through SceneForTicket.
func qrPicture(ticket string) ([]byte, error) {
	const modules, scale = 25, 8
	sum := sha256.Sum256([]byte(ticket))
	img := image.NewGray(image.Rect(0, 0, (modules+8)*scale, (modules+8)*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	finder := func(x, y int) bool {
		for _, o := range [][2]int{{0, 0}, {modules - 7, 0}, {0, modules - 7}} {
			dx, dy := x-o[0], y-o[1]
			if dx >= 0 && dx < 7 && dy >= 0 && dy < 7 {
				ring := dx == 0 || dx == 6 || dy == 0 || dy == 6
				core := dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4
				return ring || core
			}
		}
		return false
	}
	for y := 0; y < modules; y++ {
		for x := 0; x < modules; x++ {
			bit := (y*modules + x) % 256
			dark := finder(x, y) || sum[bit/8]>>(bit%8)&1 == 1 && (x+y)%3 != 0
			if !dark {
				continue
			}
			for py := 0; py < scale; py++ {
				for px := 0; px < scale; px++ {
					img.SetGray((x+4)*scale+px, (y+4)*scale+py, color.Gray{})
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("fake: qr png: %w", err)
	}
	return b.Bytes(), nil
}
