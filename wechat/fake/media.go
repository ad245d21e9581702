package fake

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
)

// Media ids: the platform accepts in messages only the media ids it issued
// (an upload, a fan's own image, voice or video) or that SeedMedia
// registered; any other is refused with 40007 "invalid media_id", as WeChat
// does. Temporary media do not expire here (WeChat drops them after 3 days).

// maxUpload is the largest /cgi-bin/media/upload body (a 10 MB image or
// video, plus the multipart envelope).
const maxUpload = 10<<20 + 64<<10

// mediaTypes are the types /cgi-bin/media/upload takes.
var mediaTypes = map[string]bool{"image": true, "voice": true, "video": true, "thumb": true}

// SeedMedia registers a media id as if the account had uploaded it (kind:
// image, voice, video, thumb, or news for an mpnews/draft id), so tests and
// load runs can send it without uploading.
func (s *Server) SeedMedia(appID, mediaID, kind string) error {
	s.mu.Lock()
	a := s.accounts[appID]
	if a != nil {
		a.media[mediaID] = kind
	}
	s.mu.Unlock()
	if a == nil {
		return fmt.Errorf("%w: %s", ErrUnknownAccount, appID)
	}
	s.persist()
	return nil
}

// knows reports whether the account issued (or was seeded) mediaID.
// Caller holds s.mu.
func (a *account) knows(mediaID string) bool {
	_, ok := a.media[mediaID]
	return ok
}

// unknownMedia is the 40007 refusal for the first of ids the account does
// not know, nil when it knows them all. Caller holds s.mu.
func (a *account) unknownMedia(ids ...string) *reply {
	for _, id := range ids {
		if id != "" && !a.knows(id) {
			r := fail(40007, id)
			return &r
		}
	}
	return nil
}

// handleMediaUpload is POST /cgi-bin/media/upload?type=…: multipart with
// the file in "media". The content is not kept, only the id it gets.
func (s *Server) handleMediaUpload(c *apiCall) reply {
	typ := c.query.Get("type")
	if !mediaTypes[typ] {
		return fail(40004, typ)
	}
	if n := uploadSize(c); n <= 0 {
		return fail(41005, "")
	}
	id := "fake-" + typ + "-" + strconv.FormatInt(s.nextSeq(), 36)
	c.acct.media[id] = typ
	return data(map[string]any{"type": typ, "media_id": id, "created_at": c.now.Unix()})
}

// uploadSize is the size of the "media" part of a multipart upload
// (0 when there is none).
func uploadSize(c *apiCall) int64 {
	_, params, err := mime.ParseMediaType(c.contentType)
	if err != nil || params["boundary"] == "" {
		return 0
	}
	r := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			return 0
		}
		if p.FormName() == "media" {
			n, _ := io.Copy(io.Discard, p)
			return n
		}
	}
}
