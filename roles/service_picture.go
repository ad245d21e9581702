package roles

import (
	"context"
	"time"

	"github.com/fivec/fivec/media"
	"github.com/fivec/fivec/models"
)

// Agents answer with pictures: one from their computer (uploaded as
// temporary media, media/upload, and kept in the media store so the
// conversation shows it) or one from the 素材库 (its permanent media_id,
// which never expires). Both go out through Reply, so the 48 h window and
// its 5-message ledger apply exactly as for text.

// tempMediaLife is how long WeChat honours a media/upload id.
const tempMediaLife = 72 * time.Hour

// Pictures is what the agent desk needs to send pictures.
type Pictures struct {
	Files *media.Store
	WX    TempMediaAPI
	Now   func() time.Time
}

func (p *Pictures) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// ReplyPicture sends the picture an agent chose on their computer. The
// file is checked as WeChat would (type, size), the claim and the window
// before anything is uploaded, so a refused send leaves nothing behind.
func (s *Service) ReplyPicture(ctx context.Context, convID uint64, agent *models.Staff, fileName string, data []byte) error {
	if s.Pictures == nil {
		return models.Errorf(models.ECONFLICT, "pictures cannot be sent from this server")
	}
	chk, err := models.CheckUpload(models.MaterialImage, fileName, data, "")
	if err != nil {
		return err
	}
	conv, err := s.heldConversation(ctx, convID, agent)
	if err != nil {
		return err
	}
	if err := s.windowOpen(ctx, conv.OpenID); err != nil {
		return err
	}
	p := s.Pictures
	key := media.NewKey("sent", chk.Ext, p.now())
	if err := p.Files.Put(ctx, key, data, chk.ContentType); err != nil {
		return err
	}
	id, err := p.WX.UploadTempMedia(ctx, "image", safeName(fileName), data)
	if err != nil {
		_ = p.Files.Delete(context.WithoutCancel(ctx), key)
		return wechatRefused(err)
	}
	pic := &models.SentPicture{MediaID: id, OpenID: conv.OpenID, FileKey: key, ContentType: chk.ContentType,
		Name: safeName(fileName), Size: int64(len(data)), ExpiresAt: p.now().Add(tempMediaLife), CreatedBy: agent.ID}
	if err := s.Store.SaveSentPicture(ctx, pic); err != nil {
		_ = p.Files.Delete(context.WithoutCancel(ctx), key)
		return err
	}
	return s.Reply(ctx, convID, agent, models.Reply{Kind: models.ReplyImage, MediaID: id})
}
