package roles_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

func TestIssueChannel(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var issued []time.Duration
		issue := func(_ context.Context, scene string, expire time.Duration) (string, string, int64, error) {
			issued = append(issued, expire)
			if scene == "broken" {
				return "", "", 0, errors.New("wechat down")
			}
			return "T-" + scene, "http://weixin.qq.com/q/" + scene, int64(expire / time.Second), nil
		}
		c, err := roles.IssueChannel(ctx, s, models.NewChannel{Name: "海报", Scene: "poster", ExpireSeconds: 86400, WelcomePoints: 5}, 1, issue)
		if err != nil || c.Ticket != "T-poster" || c.ExpireSeconds != 86400 || c.ExpiresAt == nil {
			t.Fatalf("temporary: %+v %v", c, err)
		}
		if _, err := roles.IssueChannel(ctx, s, models.NewChannel{Name: "门店", Scene: "shop", Permanent: true}, 1, issue); err != nil {
			t.Fatal(err)
		}
		refused := []struct {
			n    models.NewChannel
			code string
		}{
			{models.NewChannel{Name: "再来", Scene: "shop2", Permanent: true}, models.ECONFLICT}, // over the limit of 1
			{models.NewChannel{Name: "重复", Scene: "poster", ExpireSeconds: 600}, models.ECONFLICT},
			{models.NewChannel{Name: "", Scene: "x", ExpireSeconds: 600}, models.EINVALID},
			{models.NewChannel{Name: "短", Scene: "x", ExpireSeconds: 5}, models.EINVALID},
			{models.NewChannel{Name: "礼", Scene: "gift", ExpireSeconds: 600, WelcomeGiftID: 999}, models.EINVALID},
		}
		for _, r := range refused {
			if _, err := roles.IssueChannel(ctx, s, r.n, 1, issue); models.ErrorCode(err) != r.code {
				t.Errorf("%+v: %v, want %s", r.n, err, r.code)
			}
		}
		if len(issued) != 2 || issued[1] != 0 {
			t.Fatalf("WeChat asked %v; refused forms must not reach it", issued)
		}
		if _, err := roles.IssueChannel(ctx, s, models.NewChannel{Name: "坏", Scene: "broken", ExpireSeconds: 600}, 1, issue); err == nil {
			t.Fatal("a WeChat failure was ignored")
		}
		if c, _ := s.ChannelByScene(ctx, "broken"); c != nil {
			t.Fatal("channel stored without a code")
		}
	})
}

// TestChannelQRImage: the one download rule of the console and the API. A
// valid code's image comes from WeChat named after its scene; an expired
// temporary code is not fetched and says when it expired, in the account
// zone, and what to do; an unknown id is not found; without WeChat nothing
// is fetched.
func TestChannelQRImage(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := faketest.Client(platform)
		ch, err := roles.IssueChannel(ctx, s, models.NewChannel{Name: "海报", Scene: "poster", ExpireSeconds: 3600}, 1, wx.IssueQR)
		if err != nil {
			t.Fatal(err)
		}
		shanghai := time.FixedZone("CST", 8*3600)
		qr, err := roles.ChannelQRImage(ctx, s, wx, ch.ID, time.Now(), shanghai)
		if err != nil || qr.ContentType != "image/png" || !bytes.HasPrefix(qr.Data, []byte("\x89PNG")) || qr.Filename != "qr-poster.png" {
			t.Fatalf("valid code: %+v %v", qr, err)
		}

		_, err = roles.ChannelQRImage(ctx, s, wx, ch.ID, ch.ExpiresAt.Add(time.Second), shanghai)
		want := "this QR code expired on " + ch.ExpiresAt.In(shanghai).Format("2006-01-02 15:04") + " +08:00; create a new channel for a fresh code"
		if models.ErrorCode(err) != models.ENOTFOUND || models.ErrorMessage(err) != want {
			t.Fatalf("expired code: %v, want %q", err, want)
		}
		if _, err := roles.ChannelQRImage(ctx, s, wx, ch.ID+999, time.Now(), shanghai); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("unknown id: %v", err)
		}
		if _, err := roles.ChannelQRImage(ctx, s, nil, ch.ID, time.Now(), shanghai); err == nil || models.ErrorCode(err) != models.EINTERNAL {
			t.Fatalf("no WeChat client: %v", err)
		}
	})
}
