package roles

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/media"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// TempMediaAPI is the part of WeChat that fans' media and agents' pictures
// use: temporary media, downloaded and uploaded (wechat.Client).
type TempMediaAPI interface {
	GetTempMedia(ctx context.Context, mediaID string) ([]byte, string, error)
	UploadTempMedia(ctx context.Context, kind, fileName string, data []byte) (string, error)
}

// FanFiles keeps the files fans send: a fan's image, voice note, video or
// short video arrives as a temporary media id that WeChat honours for 3
// days only. The Center queues each one as the message is recorded (a row
// insert, well within the callback's 5 s), and Fetch, run every few
// seconds by a job, downloads it with media/get into the media store,
// retrying with backoff. Sweep deletes files older than Retention.
type FanFiles struct {
	Store *models.Store
	Files *media.Store
	WX    TempMediaAPI
	Log   *slog.Logger
	Now   func() time.Time
	// Retention is how long a fan's file is kept (FIVEC_MEDIA_RETENTION).
	Retention time.Duration
}

// fanMediaTries is how many times a download is tried before it is given
// up; fanMediaLease is how long one worker holds a claimed download.
const (
	fanMediaTries = 6
	fanMediaLease = 2 * time.Minute
)

// fanMediaBackoff is the wait after the n-th failed attempt (1-based):
// 30 s, 2 min, 10 min, 30 min, 2 h: all well within the 3 days.
func fanMediaBackoff(n int) time.Duration {
	steps := []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	if n < 1 {
		n = 1
	}
	if n > len(steps) {
		n = len(steps)
	}
	return steps[n-1]
}

// fanMediaKinds are the message types whose media are fetched.
var fanMediaKinds = map[message.MsgType]bool{message.MsgTypeImage: true, message.MsgTypeVoice: true,
	message.MsgTypeVideo: true, message.MsgTypeShortVideo: true}

// Queue records the downloads a fan's message needs (none for text,
// events, locations and links).
func (f *FanFiles) Queue(ctx context.Context, t *Turn) error {
	m := t.Msg
	if f == nil || t.Inbound == nil || !fanMediaKinds[m.MsgType] || m.MediaID == "" {
		return nil
	}
	items := []models.FanMedia{{MessageID: t.Inbound.ID, Part: models.FanMediaMain, OpenID: string(m.FromUserName),
		Kind: string(m.MsgType), MediaID: m.MediaID, Format: strings.ToLower(truncate(m.Format, 16))}}
	if m.ThumbMediaID != "" {
		items = append(items, models.FanMedia{MessageID: t.Inbound.ID, Part: models.FanMediaThumb, OpenID: string(m.FromUserName),
			Kind: models.MaterialThumb, MediaID: m.ThumbMediaID})
	}
	return f.Store.QueueFanMedia(ctx, items, f.now())
}

func (f *FanFiles) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Fetch downloads up to n due files. A 40007 (WeChat no longer has the
// medium: more than 3 days passed) ends the download at once; other
// failures are retried with backoff, fanMediaTries times in all.
func (f *FanFiles) Fetch(ctx context.Context, n int) (stored int, err error) {
	now := f.now()
	claimed, err := f.Store.ClaimFanMedia(ctx, n, now, fanMediaLease)
	if err != nil {
		return 0, err
	}
	for _, fm := range claimed {
		if ctx.Err() != nil {
			return stored, ctx.Err()
		}
		if f.fetchOne(ctx, fm) {
			stored++
		}
	}
	return stored, nil
}

// fetchOne downloads one claimed file and records the outcome.
func (f *FanFiles) fetchOne(ctx context.Context, fm models.FanMedia) bool {
	data, ctype, err := f.WX.GetTempMedia(ctx, fm.MediaID)
	if err == nil && len(data) == 0 {
		err = fmt.Errorf("media/get answered no bytes")
	}
	if err == nil {
		ctype = fanContentType(fm, ctype, data)
		key := media.NewKey("fan/"+fm.Kind, fanExt(fm, ctype), f.now())
		if err = f.Files.Put(ctx, key, data, ctype); err == nil {
			if err = f.Store.StoreFanMedia(ctx, fm.ID, key, ctype, int64(len(data)), f.now()); err != nil {
				_ = f.Files.Delete(context.Background(), key) // no file without its row
			} else {
				return true
			}
		}
	}
	now := f.now()
	if code := wechat.ErrCode(err); code == 40007 {
		f.Log.Warn("fan media: WeChat no longer has it", "message", fm.MessageID, "media_id", fm.MediaID)
		f.logEnd(ctx, f.Store.EndFanMedia(ctx, fm.ID, models.FanMediaGone, "WeChat no longer has this file (errcode 40007)", now))
		return false
	}
	why := wechat.Scrub(err.Error())
	if fm.Attempts >= fanMediaTries {
		f.Log.Error("fan media: giving up", "message", fm.MessageID, "media_id", fm.MediaID, "attempts", fm.Attempts, "err", why)
		f.logEnd(ctx, f.Store.EndFanMedia(ctx, fm.ID, models.FanMediaFailed, why, now))
		return false
	}
	next := now.Add(fanMediaBackoff(fm.Attempts))
	f.Log.Warn("fan media: download failed, will retry", "message", fm.MessageID, "attempt", fm.Attempts, "next", next, "err", why)
	f.logEnd(ctx, f.Store.RetryFanMedia(ctx, fm.ID, why, next, now))
	return false
}

func (f *FanFiles) logEnd(_ context.Context, err error) {
	if err != nil {
		f.Log.Error("fan media: record outcome", "err", err)
	}
}

// Sweep deletes up to n files kept longer than Retention and marks their
// rows expired, logging how many it deleted.
func (f *FanFiles) Sweep(ctx context.Context, n int) (int, error) {
	if f.Retention <= 0 {
		return 0, nil
	}
	now := f.now()
	old, err := f.Store.FanMediaStoredBefore(ctx, now.Add(-f.Retention), n)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, fm := range old {
		if err := f.Files.Delete(ctx, fm.FileKey); err != nil {
			return done, err
		}
		if err := f.Store.ExpireFanMedia(ctx, fm.ID, now); err != nil {
			return done, err
		}
		done++
	}
	if done > 0 {
		f.Log.Info("fan media: deleted files past the retention period", "files", done, "retention", f.Retention.String())
	}
	return done, nil
}

// Open opens a stored file of a fan's message for the console.
func (f *FanFiles) Open(ctx context.Context, messageID uint64, part string) (*models.FanMedia, *media.File, error) {
	fm, err := f.Store.FindFanMedia(ctx, messageID, part)
	if err != nil {
		return nil, nil, err
	}
	if fm.State != models.FanMediaStored {
		return fm, nil, models.Errorf(models.ENOTFOUND, "fan file: not found")
	}
	file, err := f.Files.Open(ctx, fm.FileKey)
	if err == media.ErrNotFound {
		return fm, nil, models.Errorf(models.ENOTFOUND, "fan file: not found")
	}
	return fm, file, err
}

// fanContentType is the file's type: what WeChat said, else sniffed, with
// the voice formats browsers do not know named.
func fanContentType(fm models.FanMedia, said string, data []byte) string {
	if fm.Kind == "voice" {
		switch fm.Format {
		case "mp3":
			return "audio/mpeg"
		case "amr":
			return "audio/amr"
		}
	}
	if said != "" && !strings.HasPrefix(said, "application/octet-stream") && !strings.Contains(said, "json") && !strings.HasPrefix(said, "text/") {
		return said
	}
	return http.DetectContentType(data)
}

// fanExt is the stored file's extension.
func fanExt(fm models.FanMedia, ctype string) string {
	switch {
	case fm.Kind == "voice" && fm.Format != "":
		return fm.Format
	case strings.Contains(ctype, "mp4"):
		return "mp4"
	case strings.HasPrefix(ctype, "image/"):
		return extFor(ctype, "")
	}
	return "bin"
}

// OpenSent opens the file of a picture sent to the fan openID as mediaID:
// one an agent sent from their computer, or a 素材库 image. A picture sent
// to another fan, or one fivec holds no file for, is not found.
func (f *FanFiles) OpenSent(ctx context.Context, openID, mediaID string) (name, contentType string, file *media.File, err error) {
	key := ""
	if p, err := f.Store.SentPictureByMediaID(ctx, mediaID); err == nil {
		if p.OpenID != openID {
			return "", "", nil, models.Errorf(models.ENOTFOUND, "picture: not found")
		}
		name, contentType, key = p.Name, p.ContentType, p.FileKey
	} else if models.ErrorCode(err) != models.ENOTFOUND {
		return "", "", nil, err
	} else if m, err := f.Store.MaterialByMediaID(ctx, mediaID); err == nil && m.FileKey != "" && m.Kind == models.MaterialImage {
		name, contentType, key = m.Name, m.ContentType, m.FileKey
	} else if err != nil && models.ErrorCode(err) != models.ENOTFOUND {
		return "", "", nil, err
	}
	if key == "" {
		return "", "", nil, models.Errorf(models.ENOTFOUND, "picture: not found")
	}
	file, err = f.Files.Open(ctx, key)
	if err == media.ErrNotFound {
		return "", "", nil, models.Errorf(models.ENOTFOUND, "picture: not found")
	}
	return name, contentType, file, err
}
