package wechat

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"

	"github.com/fivec/fivec/models"
)

func TestMemoryCacheExpiryAndRaces(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	c := NewMemoryCache(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	c.Set("k", "v", time.Minute)
	if c.Get("k") != "v" || !c.IsExist("k") {
		t.Fatal("value missing")
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if c.Get("k") != nil {
		t.Fatal("expired value returned")
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				k := fmt.Sprint(j % 7)
				c.Set(k, i, time.Hour)
				c.Get(k)
				c.Delete(k)
			}
		}(i)
	}
	wg.Wait()
}

func TestErrCodeAndScrub(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("customer msg send error : errcode=45015 , errmsg=response out of time limit"), 45015},
		{&util.CommonError{ErrCode: 40001, ErrMsg: "invalid credential"}, 40001},
		{fmt.Errorf("wrapped: %w", &APIError{Code: 45047}), 45047},
		{errors.New("dial tcp: connection refused"), 0},
	}
	for _, c := range cases {
		if got := ErrCode(c.err); got != c.code {
			t.Errorf("ErrCode(%v) = %d, want %d", c.err, got, c.code)
		}
	}
	s := Scrub(`Post "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=ACCESS123&x=1": timeout`)
	if s != `Post "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=***&x=1": timeout` {
		t.Fatalf("scrub: %s", s)
	}
	n := normalize(errors.New(`Get "https://h/cgi-bin/x?access_token=SECRET": EOF`))
	if n == nil || ErrCode(n) != 0 || strings.Contains(n.Error(), "SECRET") {
		t.Fatalf("normalize leaked: %v", n)
	}
}

func TestInstallSilencesSDKLogging(t *testing.T) {
	// TestMain installed the SDK set-up.
	if logrus.GetLevel() > logrus.WarnLevel {
		t.Fatalf("logrus level %s would print fans' messages", logrus.GetLevel())
	}
}

func TestPassiveReplyKinds(t *testing.T) {
	for _, r := range []models.Reply{
		models.TextReply("hi"), {Kind: models.ReplyImage, MediaID: "m"}, {Kind: models.ReplyVoice, MediaID: "m"},
		{Kind: models.ReplyVideo, MediaID: "m", Title: "t"}, {Kind: models.ReplyMusic, Title: "t", MusicURL: "u"},
		{Kind: models.ReplyNews, Articles: []models.Article{{Title: "a"}, {Title: "b"}}}, {Kind: models.ReplyTransfer},
	} {
		p, err := PassiveReply(r)
		if err != nil || string(p.MsgType) != r.Kind {
			t.Errorf("%s: %v %v", r.Kind, p, err)
		}
	}
	if _, err := PassiveReply(models.Reply{Kind: models.ReplyNews}); models.ErrorCode(err) != models.EINVALID {
		t.Errorf("empty news: %v", err)
	}
	if _, err := customerMessage("o", models.Reply{Kind: models.ReplyTransfer}); models.ErrorCode(err) != models.EINVALID {
		t.Errorf("transfer as CS message: %v", err)
	}
}
