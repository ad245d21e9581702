package fake

import (
	"fmt"
	"strconv"
	"time"
)

// Media ids: the platform accepts in messages only the media ids it issued
// (an upload, a fan's own image, voice or video) or that SeedMedia
// registered; any other is refused with 40007 "invalid media_id", as WeChat
// does. Temporary uploads expire after Options.TempMediaTTL (3 days) and
// are then refused too.

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

// knows reports whether the account issued (or was seeded) mediaID and,
// for a temporary upload, whether it is still within its 3 days at now.
// Caller holds s.mu.
func (a *account) knows(mediaID string, now time.Time) bool {
	if m := a.materials[mediaID]; m != nil && m.expired(now) {
		return false
	}
	_, ok := a.media[mediaID]
	return ok
}

// unknownMedia is the 40007 refusal for the first of ids the account does
// not know, nil when it knows them all. Caller holds s.mu.
func (a *account) unknownMedia(now time.Time, ids ...string) *reply {
	for _, id := range ids {
		if id != "" && !a.knows(id, now) {
			r := fail(40007, id)
			return &r
		}
	}
	return nil
}

// handleMediaUpload is POST /cgi-bin/media/upload?type=…: multipart with
// the file in "media", checked against the type's limits and kept (with its
// bytes) for TempMediaTTL.
func (s *Server) handleMediaUpload(c *apiCall) reply {
	typ := c.query.Get("type")
	if !mediaTypes[typ] {
		return fail(40004, typ)
	}
	u, rep := parseUpload(c)
	if rep != nil {
		return *rep
	}
	if rep := checkUpload(typ, u); rep != nil {
		return *rep
	}
	id := "fake-" + typ + "-" + strconv.FormatInt(s.nextSeq(), 36)
	s.keep(c.acct, &Material{MediaID: id, Type: typ, Name: u.name, Created: c.now, Updated: c.now,
		Temporary: true, Expires: c.now.Add(s.opts.TempMediaTTL)}, u.data)
	return data(map[string]any{"type": typ, "media_id": id, "created_at": c.now.Unix()})
}
