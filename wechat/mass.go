package wechat

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
	"golang.org/x/time/rate"

	"github.com/fivec/fivec/models"
)

// Mass calls WeChat's mass-send API (群发): sendall, mass/send, preview and
// get. It posts the requests itself rather than through the SDK's
// Broadcast, which has no clientmsgid, drops the msg_id of a 45065 answer,
// and whose Preview() switches the shared instance to preview for good.
// Limiter keeps every mass call of this process under the platform's 60
// requests a minute.
type Mass struct {
	WX      *Client
	Limiter *rate.Limiter
}

// NewMass limits mass calls to perMinute (60 on the platform).
func NewMass(wx *Client, perMinute int) *Mass {
	return &Mass{WX: wx, Limiter: rate.NewLimiter(rate.Limit(float64(perMinute)/60), max(1, perMinute/6))}
}

const massAPI = "https://api.weixin.qq.com/cgi-bin/message/mass/"

// MassTarget says who a mass send goes to: everyone, a WeChat tag, or a
// list of 2–10,000 openids.
type MassTarget struct {
	ToAll   bool
	TagID   int32
	OpenIDs []string
}

// MassResult is WeChat's answer to a mass send.
type MassResult struct {
	MsgID int64
	// Duplicate: WeChat had this clientmsgid already (45065); MsgID is the
	// first send's.
	Duplicate bool
}

type massAnswer struct {
	ErrCode   int             `json:"errcode"`
	ErrMsg    string          `json:"errmsg"`
	MsgID     json.RawMessage `json:"msg_id"`
	MsgStatus string          `json:"msg_status"`
}

func (a massAnswer) msgID() int64 {
	var n int64
	fmt.Sscan(string(trimQuotes(a.MsgID)), &n)
	return n
}

func trimQuotes(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' {
		return b[1 : len(b)-1]
	}
	return b
}

// massBody builds the message part of a mass request.
func massBody(r models.Reply) (map[string]any, error) {
	switch r.Kind {
	case models.ReplyText:
		return map[string]any{"msgtype": "text", "text": map[string]string{"content": r.Text}}, nil
	case models.ReplyImage:
		return map[string]any{"msgtype": "image", "images": map[string]any{"media_ids": []string{r.MediaID}}}, nil
	case models.ReplyMpNews:
		return map[string]any{"msgtype": "mpnews", "mpnews": map[string]string{"media_id": r.MediaID}, "send_ignore_reprint": 0}, nil
	case models.ReplyVoice:
		return map[string]any{"msgtype": "voice", "voice": map[string]string{"media_id": r.MediaID}}, nil
	}
	return nil, models.Errorf(models.EINVALID, "a %s message cannot be mass-sent", r.Kind)
}

// post sends one mass request (rate-limited, with the token retry).
func (m *Mass) post(ctx context.Context, endpoint string, body any) (massAnswer, error) {
	var a massAnswer
	if err := m.Limiter.Wait(ctx); err != nil {
		return a, err
	}
	err := m.WX.call(ctx, func() error {
		token, err := m.WX.OA.GetAccessTokenContext(ctx)
		if err != nil {
			return err
		}
		raw, err := util.PostJSONContext(ctx, massAPI+endpoint+"?access_token="+token, body)
		if err != nil {
			return err
		}
		a = massAnswer{}
		if err := json.Unmarshal(raw, &a); err != nil {
			return fmt.Errorf("mass %s: bad answer: %v", endpoint, err)
		}
		if a.ErrCode != 0 {
			return &util.CommonError{ErrCode: int64(a.ErrCode), ErrMsg: a.ErrMsg}
		}
		return nil
	})
	return a, err
}

// Send submits a mass send with clientMsgID (idempotent for 24 h). A 45065
// answer is not a failure: it returns the first send's msg_id with
// Duplicate set, and the caller asks Status.
func (m *Mass) Send(ctx context.Context, to MassTarget, r models.Reply, clientMsgID string) (MassResult, error) {
	body, err := massBody(r)
	if err != nil {
		return MassResult{}, err
	}
	body["clientmsgid"] = clientMsgID
	endpoint := "send"
	if to.ToAll || to.OpenIDs == nil {
		endpoint = "sendall"
		body["filter"] = map[string]any{"is_to_all": to.ToAll, "tag_id": to.TagID}
	} else {
		body["touser"] = to.OpenIDs
	}
	a, err := m.post(ctx, endpoint, body)
	if ErrCode(err) == 45065 && a.msgID() != 0 {
		return MassResult{MsgID: a.msgID(), Duplicate: true}, nil
	}
	if err != nil {
		return MassResult{}, err
	}
	return MassResult{MsgID: a.msgID()}, nil
}

// Status asks mass/get for a send's state: SEND_SUCCESS, SENDING,
// SEND_FAIL or DELETE.
func (m *Mass) Status(ctx context.Context, msgID int64) (string, error) {
	a, err := m.post(ctx, "get", map[string]any{"msg_id": msgID})
	return a.MsgStatus, err
}

// Preview sends r to one follower as a preview (no quota is used).
func (m *Mass) Preview(ctx context.Context, openID string, r models.Reply) error {
	body, err := massBody(r)
	if err != nil {
		return err
	}
	if r.Kind == models.ReplyImage {
		delete(body, "images")
		body["image"] = map[string]string{"media_id": r.MediaID}
	}
	body["touser"] = openID
	_, err = m.post(ctx, "preview", body)
	return err
}

// PreviewBroadcast shows b to one test fan as it will arrive: a mass
// preview of the message, or the template message itself for a template
// broadcast (templates have no preview call).
func (m *Mass) PreviewBroadcast(ctx context.Context, openID string, b *models.Broadcast) error {
	if b.Kind == models.BroadcastTemplate {
		_, err := m.WX.SendTemplate(ctx, openID, b.TemplateID, b.TemplateFields())
		return err
	}
	r, err := b.Reply()
	if err != nil {
		return err
	}
	return m.Preview(ctx, openID, r)
}
