package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/customerservice"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/officialaccount/user"
	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/models"
)

// Account is one official account's credentials.
type Account struct {
	AppID     string
	AppSecret string
	Token     string
	AESKey    string
	// StableToken uses /cgi-bin/stable_token, which never invalidates the
	// token other processes hold: right for several replicas.
	StableToken bool
}

// Client wraps the SDK for one account. The SDK's lazy getters race, so
// every manager fivec uses is built once here and kept.
type Client struct {
	Account Account
	OA      *officialaccount.OfficialAccount
	cache   cache.Cache
	custom  *message.Manager
	menu    *menu.Menu
	basic   *basic.Basic
	user    *user.User
	kf      *customerservice.Manager
	tmpl    *message.Template
	shared  *SharedToken // nil: the SDK's own token handling on cache
}

// NewClient builds the SDK objects for acct with token cache c.
func NewClient(acct Account, c cache.Cache) *Client {
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token,
		EncodingAESKey: acct.AESKey, Cache: c, UseStableAK: acct.StableToken,
	})
	return &Client{Account: acct, OA: oa, cache: c, custom: oa.GetCustomerMessageManager(), menu: oa.GetMenu(), basic: oa.GetBasic(), user: oa.GetUser(),
		kf: oa.GetCustomerServiceManager(), tmpl: oa.GetTemplate()}
}

// ShareToken makes the client take its access token from st (shared with
// the other processes through the database or Redis) instead of the SDK's
// own handle.
func (c *Client) ShareToken(st *SharedToken) {
	if st.Account.AppID == "" {
		st.Account = c.Account
	}
	c.shared = st
	c.OA.SetAccessTokenHandle(st)
}

// APIError is an errcode returned by the WeChat API.
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("wechat errcode %d: %s", e.Code, e.Msg) }

// ErrCode extracts the WeChat errcode from err (0 when there is none).
func ErrCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return int(ce.ErrCode)
	}
	if err == nil {
		return 0
	}
	if m := errcodeText.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

var (
	errcodeText = regexp.MustCompile(`errcode[=: ]+(-?\d+)`)
	errmsgText  = regexp.MustCompile(`errmsg[=: ]+(.*)$`)
	tokenInText = regexp.MustCompile(`access_token=[^&\s"]+`)
)

// Scrub removes access tokens from an error's text so it can be logged.
func Scrub(s string) string { return tokenInText.ReplaceAllString(s, "access_token=***") }

// call runs fn and, when WeChat says the token is stale, drops the cached
// token and tries once more (the SDK does neither). The returned error is an
// *APIError when WeChat answered with an errcode, and never contains the token.
func (c *Client) call(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	used := ""
	if c.shared != nil {
		used = c.shared.peek()
	}
	err := fn()
	if StaleToken(ErrCode(err)) {
		c.dropToken(ctx, used)
		err = fn()
	}
	return normalize(err)
}

// DropToken forgets the cached access token so the next call fetches one.
func (c *Client) DropToken() { c.dropToken(context.Background(), "") }

// dropToken forgets the token used (a shared token: only that one, so many
// refused calls at once lead to one refresh).
func (c *Client) dropToken(ctx context.Context, used string) {
	if c.shared != nil {
		// When the database is unreachable the process still forgets the
		// token; the call's own error then says what went wrong.
		_ = c.shared.Invalidate(context.WithoutCancel(ctx), used)
		return
	}
	prefix := credential.CacheKeyOfficialAccountPrefix
	c.cache.Delete(fmt.Sprintf("%s_access_token_%s", prefix, c.Account.AppID))
	c.cache.Delete(fmt.Sprintf("%s_stable_access_token_%s", prefix, c.Account.AppID))
}

// ErrTimeout marks a call WeChat did not answer in time. The request may
// still have been carried out (a message delivered), so a caller must not
// simply repeat a call that is not idempotent; errors.Is finds it.
var ErrTimeout = errors.New("wechat: no answer in time")

// isTimeout reports whether err is the HTTP client giving up waiting. The
// SDK does not always keep the error's type, so its text counts too.
func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "Client.Timeout exceeded") || strings.Contains(msg, "i/o timeout") ||
		strings.Contains(msg, "context deadline exceeded")
}

func normalize(err error) error {
	if err == nil {
		return nil
	}
	if isTimeout(err) {
		return fmt.Errorf("%w: %s", ErrTimeout, Scrub(err.Error()))
	}
	if code := ErrCode(err); code != 0 {
		msg := ""
		if m := errmsgText.FindStringSubmatch(err.Error()); m != nil {
			msg = m[1]
		}
		var ce *util.CommonError
		if errors.As(err, &ce) {
			msg = ce.ErrMsg
		}
		return &APIError{Code: code, Msg: Scrub(msg)}
	}
	return errors.New(Scrub(err.Error()))
}

// SendCustom sends r to openID as a customer-service message.
func (c *Client) SendCustom(ctx context.Context, openID string, r models.Reply) error {
	msg, err := customerMessage(openID, r)
	if err != nil {
		return err
	}
	return c.call(ctx, func() error { return c.custom.Send(msg) })
}

func customerMessage(to string, r models.Reply) (*message.CustomerMessage, error) {
	m := &message.CustomerMessage{ToUser: to, Msgtype: message.MsgType(r.Kind)}
	switch r.Kind {
	case models.ReplyText:
		m.Text = &message.MediaText{Content: r.Text}
	case models.ReplyImage:
		m.Image = &message.MediaResource{MediaID: r.MediaID}
	case models.ReplyVoice:
		m.Voice = &message.MediaResource{MediaID: r.MediaID}
	case models.ReplyMpNews:
		m.Mpnews = &message.MediaResource{MediaID: r.MediaID}
	case models.ReplyVideo:
		m.Video = &message.MediaVideo{MediaID: r.MediaID, Title: r.Title, Description: r.Description}
	case models.ReplyMusic:
		m.Music = &message.MediaMusic{Title: r.Title, Description: r.Description, Musicurl: r.MusicURL, Hqmusicurl: r.HQMusicURL, ThumbMediaID: r.MediaID}
	case models.ReplyNews:
		m.News = &message.MediaNews{}
		for _, a := range r.Articles {
			m.News.Articles = append(m.News.Articles, message.MediaArticles{Title: a.Title, Description: a.Description, URL: a.URL, Picurl: a.PicURL})
		}
	default:
		return nil, models.Errorf(models.EINVALID, "a %s reply cannot be sent as a customer-service message", r.Kind)
	}
	return m, nil
}

// PassiveReply converts r into the SDK's passive reply (the XML answered on
// the callback). A news reply keeps only its first article, as WeChat allows
// one after a user message.
func PassiveReply(r models.Reply) (*message.Reply, error) {
	switch r.Kind {
	case models.ReplyText:
		return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(r.Text)}, nil
	case models.ReplyImage:
		return &message.Reply{MsgType: message.MsgTypeImage, MsgData: message.NewImage(r.MediaID)}, nil
	case models.ReplyVoice:
		return &message.Reply{MsgType: message.MsgTypeVoice, MsgData: message.NewVoice(r.MediaID)}, nil
	case models.ReplyVideo:
		return &message.Reply{MsgType: message.MsgTypeVideo, MsgData: message.NewVideo(r.MediaID, r.Title, r.Description)}, nil
	case models.ReplyMusic:
		return &message.Reply{MsgType: message.MsgTypeMusic, MsgData: message.NewMusic(r.Title, r.Description, r.MusicURL, r.HQMusicURL, r.MediaID)}, nil
	case models.ReplyNews:
		if len(r.Articles) == 0 {
			return nil, models.Errorf(models.EINVALID, "news reply without articles")
		}
		a := r.Articles[0]
		return &message.Reply{MsgType: message.MsgTypeNews, MsgData: message.NewNews([]*message.Article{message.NewArticle(a.Title, a.Description, a.PicURL, a.URL)})}, nil
	case models.ReplyTransfer:
		return &message.Reply{MsgType: message.MsgTypeTransfer, MsgData: message.NewTransferCustomer(r.KfAccount)}, nil
	}
	return nil, models.Errorf(models.EINVALID, "unknown reply kind %q", r.Kind)
}
