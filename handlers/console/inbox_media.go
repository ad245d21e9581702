package console

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Fans' images, voice notes and videos, and agents' pictures, in the
// conversation view and the member's log: files are served here, through
// the console's session, never from a public address. A file is named by
// its fan and message (or the media_id it went out with), so an id of
// another fan's message is simply not found.

func (h *Handler) registerFanFiles(a *gin.RouterGroup) {
	if h.FanFiles == nil {
		return
	}
	a.GET("/members/:openid/files/:msg", h.fanFile)
	a.GET("/members/:openid/sent/:media", h.sentFile)
}

// fanFile serves the file of a fan's message (?part=thumb: a video's
// cover). Voice notes in AMR, which browsers cannot play, download.
func (h *Handler) fanFile(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("msg"), 10, 64)
	if err != nil {
		web.Errorf(c, models.ENOTFOUND, "file: not found")
		return
	}
	part := models.FanMediaMain
	if c.Query("part") == models.FanMediaThumb {
		part = models.FanMediaThumb
	}
	fm, f, err := h.FanFiles.Open(c.Request.Context(), id, part)
	if err == nil && fm.OpenID != c.Param("openid") {
		f.Close()
		err = models.Errorf(models.ENOTFOUND, "file: not found")
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	defer f.Close()
	name := fmt.Sprintf("%s-%d%s", fm.Kind, fm.MessageID, extOf(fm.FileKey))
	disposition := "inline"
	if !browserPlays(fm.ContentType) {
		disposition = "attachment"
	}
	serveFile(c, f.Size, fm.ContentType, disposition, name, f)
}

// sentFile serves a picture sent to the fan (by an agent or from the
// 素材库), by the media_id it went out with.
func (h *Handler) sentFile(c *gin.Context) {
	name, ctype, f, err := h.FanFiles.OpenSent(c.Request.Context(), c.Param("openid"), c.Param("media"))
	if err != nil {
		web.Error(c, err)
		return
	}
	defer f.Close()
	serveFile(c, f.Size, ctype, "inline", name, f)
}

func serveFile(c *gin.Context, size int64, ctype, disposition, name string, f interface{ Read([]byte) (int, error) }) {
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(name))
	c.DataFromReader(http.StatusOK, size, ctype, f, nil)
}

// browserPlays: images, mp3 and mp4 show in a browser; AMR does not.
func browserPlays(ctype string) bool {
	return strings.HasPrefix(ctype, "image/") || ctype == "audio/mpeg" || ctype == "video/mp4"
}

func extOf(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 && !strings.Contains(key[i:], "/") {
		return key[i:]
	}
	return ""
}

// convMedia is what a bubble shows besides text: a fan's picture, voice
// note or video (with its state while it is fetched or after it expired),
// a location, a link, or a picture that was sent.
type convMedia struct {
	// File is the file's address in the console ("" when not kept);
	// Thumb a video's cover.
	File, Thumb string
	// State is the fan file's state (pending, stored, gone, failed,
	// expired); "" for a sent picture.
	State string
	// Playable: the voice note plays in a browser (mp3); AMR downloads.
	Playable    bool
	Recognition string // WeChat's speech recognition, when sent
	// Location: Label and Map (a map link).
	Label, Map string
	// Link: Title, Description and URL.
	Title, Description, URL string
}

// rawMessage is what the bubbles read of a fan's message XML.
type rawMessage struct {
	Recognition string  `xml:"Recognition"`
	LocationX   float64 `xml:"Location_X"`
	LocationY   float64 `xml:"Location_Y"`
	Label       string  `xml:"Label"`
	Title       string  `xml:"Title"`
	Description string  `xml:"Description"`
	URL         string  `xml:"Url"`
}

// fanFiles reads the files of the fan messages among msgs.
func (h *Handler) fanFilesOf(ctx context.Context, msgs []models.Message) map[uint64]map[string]models.FanMedia {
	if h.FanFiles == nil {
		return nil
	}
	var ids []uint64
	for _, m := range msgs {
		if m.Direction == models.DirectionIn && fanFileKinds[m.MsgType] {
			ids = append(ids, m.ID)
		}
	}
	files, err := h.Store.FanMediaFor(ctx, ids)
	if err != nil {
		h.Log.Error("conversation: fan files", "err", err)
		return nil
	}
	return files
}

var fanFileKinds = map[string]bool{"image": true, "voice": true, "video": true, "shortvideo": true}

// fanMedia is what the bubble of a fan's message shows beyond its text.
func fanMedia(m models.Message, files map[string]models.FanMedia) *convMedia {
	var raw rawMessage
	switch m.MsgType {
	case "image", "voice", "video", "shortvideo", "location", "link":
		_ = xml.Unmarshal([]byte(m.Raw), &raw)
	default:
		return nil
	}
	cm := &convMedia{Recognition: strings.TrimSpace(raw.Recognition)}
	base := Base + "/members/" + url.PathEscape(m.OpenID) + "/files/" + strconv.FormatUint(m.ID, 10)
	switch m.MsgType {
	case "location":
		cm.Label = raw.Label
		cm.Map = fmt.Sprintf("https://uri.amap.com/marker?position=%g,%g&name=%s&coordinate=gaode", raw.LocationY, raw.LocationX, url.QueryEscape(raw.Label))
		return cm
	case "link":
		cm.Title, cm.Description, cm.URL = raw.Title, raw.Description, safeLink(raw.URL)
		return cm
	}
	main, ok := files[models.FanMediaMain]
	if !ok {
		return cm // not queued: a message from before fivec fetched files
	}
	cm.State = main.State
	if main.State == models.FanMediaStored {
		cm.File = base
		cm.Playable = browserPlays(main.ContentType) && strings.HasPrefix(main.ContentType, "audio/")
	}
	if th, ok := files[models.FanMediaThumb]; ok && th.State == models.FanMediaStored {
		cm.Thumb = base + "?part=thumb"
	}
	return cm
}

// safeLink keeps http(s) links only.
func safeLink(u string) string {
	if p, err := url.Parse(u); err == nil && (p.Scheme == "http" || p.Scheme == "https") {
		return u
	}
	return ""
}

// sentMedia is the bubble of a picture sent to the fan.
func sentMedia(openID string, r models.Reply) *convMedia {
	if r.Kind != models.ReplyImage || r.MediaID == "" {
		return nil
	}
	return &convMedia{File: Base + "/members/" + url.PathEscape(openID) + "/sent/" + url.PathEscape(r.MediaID)}
}
