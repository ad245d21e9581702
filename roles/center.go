package roles

import (
	"context"
	"log/slog"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// Center is the Center role (信息发布): broadcasts. On the callback it
// only listens for job-finish events: MASSSENDJOBFINISH, WeChat's final counts of a mass send,
// and stores them on the broadcast run they belong to (a failed job turns
// its recipients from sent to failed). The sending itself is jobs/broadcasts.go.
type Center struct {
	Store *models.Store
	Log   *slog.Logger
	// FanFiles, when set, queues the download of a fan's image, voice
	// note or video as the message arrives.
	FanFiles *FanFiles
}

// Name implements Role.
func (d *Center) Name() string { return "center" }

// Handle implements Role. It never replies: the events come from the
// platform, not from a fan. PUBLISHJOBFINISH (a 图文 publish's outcome)
// is stored on its draft. Besides MASSSENDJOBFINISH it listens for
// TEMPLATESENDJOBFINISH: a template message WeChat accepted but did not
// deliver (the fan turned template messages off, a system failure) turns
// from sent to failed, with the reason, in the fan's log and on the push
// recipient.
func (d *Center) Handle(ctx context.Context, t *Turn) error {
	m := t.Msg
	if fanMediaKinds[m.MsgType] {
		return d.FanFiles.Queue(ctx, t)
	}
	if m.MsgType == message.MsgTypeEvent && m.Event == message.EventTemplateSendJobFinish {
		failed := wechat.TemplateStatusFailed(m.Status)
		ours, err := d.Store.RecordTemplateFinish(ctx, models.TemplateFinish{MsgID: m.TemplateMsgID,
			OpenID: string(m.FromUserName), Status: m.Status, Failed: failed})
		if err == nil && failed {
			d.Log.Info("template message not delivered", "msg_id", m.TemplateMsgID, "openid", m.FromUserName,
				"status", m.Status, "send_known", ours)
		}
		return err
	}
	if m.MsgType == message.MsgTypeEvent && m.Event == message.EventPublishJobFinish {
		// The outcome of a freepublish/submit (图文 publishing).
		f := publishFinish(m)
		ours, err := d.Store.RecordPublishFinish(ctx, f, time.Unix(m.CreateTime, 0).UTC())
		if err == nil && !ours {
			d.Log.Info("PUBLISHJOBFINISH for a publish fivec did not make", "publish_id", f.PublishID, "status", f.Status)
		}
		return err
	}
	if m.MsgType != message.MsgTypeEvent || m.Event != message.EventMassSendJobFinish {
		return nil
	}
	ours, err := d.Store.RecordMassFinish(ctx, models.MassFinish{MsgID: m.TemplateMsgID, Status: m.Status,
		TotalCount: m.TotalCount, FilterCount: m.FilterCount, SentCount: m.SentCount, ErrorCount: m.ErrorCount})
	if err == nil && !ours {
		d.Log.Info("MASSSENDJOBFINISH for a send fivec did not make", "msg_id", m.TemplateMsgID, "status", m.Status)
	}
	return err
}
