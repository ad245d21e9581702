package fake

import (
	"context"
	"fmt"
	"strconv"
)

// Fan messages beyond text, for the console's fan simulator: a picture or a
// voice note (the platform keeps the upload as temporary media and the
// message carries its media id), a location, and a view-menu tap. The bytes
// themselves stay with the caller: fivec never downloads fans' media.

// newFanMedia issues a temporary media id (and a picture URL) for a fan's
// upload.
func (s *Server) newFanMedia(kind string) (mediaID, picURL string) {
	s.mu.Lock()
	n := s.nextSeq()
	s.mu.Unlock()
	id := kind + "_fan_" + strconv.FormatInt(n, 10)
	return id, "http://mmbiz.qpic.cn/fake/" + id
}

// SendImage is the fan sending a picture: it arrives as an image message
// with a fresh media id and PicUrl, which the returned delivery's MediaID
// also holds (through Inbox).
func (s *Server) SendImage(ctx context.Context, appID, openID string) (*Delivery, string, error) {
	id, pic := s.newFanMedia("image")
	d, err := s.Post(ctx, appID, openID, CallbackMessage{MsgType: "image", MediaID: id, PicURL: pic})
	return d, id, err
}

// SendVoice is the fan sending a voice note in format (amr, mp3…);
// recognition is the speech-to-text WeChat may add (often empty).
func (s *Server) SendVoice(ctx context.Context, appID, openID, format, recognition string) (*Delivery, string, error) {
	id, _ := s.newFanMedia("voice")
	if format == "" {
		format = "amr"
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
