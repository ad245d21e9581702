package fake

import (
	"context"
	"fmt"
	"strconv"
)

// Fan messages beyond text, for the console's fan simulator: a picture or a
// voice note (the platform keeps the upload as temporary media, bytes and
// all, for TempMediaTTL, and the message carries its media id, which
// media/get downloads), a location, and a view-menu tap.

// fanPNG is the picture SendImage sends when the caller has no file: a
// green 1×1 PNG.
var fanPNG = []byte("\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xd0\xeb\x0e\x07\x00\x01\xfb\x01\x11\x74\x26\x14\xe9\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82")

// fanAMR is the voice note SendVoice sends when the caller has no file:
// the AMR header and one silent frame.
var fanAMR = append([]byte("#!AMR\n"), 0x7c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

// newFanMedia keeps a fan's upload as temporary media (expiring after
// TempMediaTTL, as WeChat's do) and returns its media id and picture URL.
func (s *Server) newFanMedia(appID, kind, name string, data []byte) (mediaID, picURL string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return "", "", fmt.Errorf("%w: %s", ErrUnknownAccount, appID)
	}
	id := kind + "_fan_" + strconv.FormatInt(s.nextSeq(), 10)
	now := s.opts.Now()
	s.keep(a, &Material{MediaID: id, Type: kind, Name: name, Created: now, Updated: now,
		Temporary: true, Expires: now.Add(s.opts.TempMediaTTL)}, data)
	return id, "http://mmbiz.qpic.cn/fake/" + id, nil
}

// SendImage is the fan sending a picture (a 1×1 PNG): see SendImageFile.
func (s *Server) SendImage(ctx context.Context, appID, openID string) (*Delivery, string, error) {
	return s.SendImageFile(ctx, appID, openID, "photo.png", fanPNG)
}

// SendImageFile is the fan sending the picture name with its bytes: it
// arrives as an image message with a fresh media id and PicUrl, which the
// returned delivery's MediaID also holds (through Inbox), and media/get
// returns the bytes for TempMediaTTL.
func (s *Server) SendImageFile(ctx context.Context, appID, openID, name string, data []byte) (*Delivery, string, error) {
	id, pic, err := s.newFanMedia(appID, "image", name, data)
	if err != nil {
		return nil, "", err
	}
	d, err := s.Post(ctx, appID, openID, CallbackMessage{MsgType: "image", MediaID: id, PicURL: pic})
	return d, id, err
}

// SendVoice is the fan sending a voice note in format (amr, mp3…);
// recognition is the speech-to-text WeChat may add (often empty). The
// note is a short silent AMR (or, for mp3, the same bytes named .mp3);
// SendVoiceFile sends a real file.
func (s *Server) SendVoice(ctx context.Context, appID, openID, format, recognition string) (*Delivery, string, error) {
	if format == "" {
		format = "amr"
	}
	return s.SendVoiceFile(ctx, appID, openID, format, recognition, "voice."+format, fanAMR)
}

// SendVoiceFile is the fan sending the voice note name with its bytes.
func (s *Server) SendVoiceFile(ctx context.Context, appID, openID, format, recognition, name string, data []byte) (*Delivery, string, error) {
	if format == "" {
		format = "amr"
	}
	id, _, err := s.newFanMedia(appID, "voice", name, data)
	if err != nil {
		return nil, "", err
	}
	d, err := s.Post(ctx, appID, openID, CallbackMessage{MsgType: "voice", MediaID: id, Format: format, Recognition: recognition})
	return d, id, err
}

// SendLocation is the fan sharing a location (latitude, longitude, map
// scale, and the place's label).
func (s *Server) SendLocation(ctx context.Context, appID, openID string, lat, lng, scale float64, label string) (*Delivery, error) {
	if lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		return nil, fmt.Errorf("fake: location %v,%v is off the map", lat, lng)
	}
	if scale == 0 {
		scale = 15
	}
	return s.Post(ctx, appID, openID, CallbackMessage{MsgType: "location", LocationX: lat, LocationY: lng, Scale: scale, Label: label})
}

// View is the fan tapping a view (web page) menu button: WeChat sends a
// VIEW event whose EventKey is the URL, and opens the page.
func (s *Server) View(ctx context.Context, appID, openID, url string) (*Delivery, error) {
	return s.Post(ctx, appID, openID, CallbackMessage{MsgType: "event", Event: "VIEW", EventKey: url})
}

// MediaFile returns the bytes the platform holds under mediaID (an
// upload, a fan's picture or voice note), expired or not: a phone keeps
// what it received. ok is false for an id it never held.
func (s *Server) MediaFile(appID, mediaID string) (name string, data []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return "", nil, false
	}
	m := a.materials[mediaID]
	if m == nil {
		return "", nil, false
	}
	b := s.bytesOf(a, m)
	return m.Name, b, b != nil
}
