package roles_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

// flakyMedia fails the first fails downloads as a network would, then
// passes them to WeChat (the fake).
type flakyMedia struct {
	roles.TempMediaAPI
	mu    sync.Mutex
	fails int
	calls int
}

func (f *flakyMedia) GetTempMedia(ctx context.Context, id string) ([]byte, string, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.fails
	f.mu.Unlock()
	if fail {
		return nil, "", errors.New("dial tcp: connection reset by peer")
	}
	return f.TempMediaAPI.GetTempMedia(ctx, id)
}

// fanTurn records an inbound message from openID and returns its turn.
func fanTurn(t *testing.T, s *models.Store, openID string, m *message.MixMessage) *roles.Turn {
	t.Helper()
	m.FromUserName = message.CDATA(openID)
	msg, member, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "m:" + m.MediaID, OpenID: openID, MsgType: string(m.MsgType)})
	if err != nil {
		t.Fatal(err)
	}
	return &roles.Turn{Msg: m, Inbound: msg, Member: member}
}

type fanClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fanClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fanClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newFanFiles(t *testing.T, s *models.Store, api roles.TempMediaAPI, clock *fanClock) *roles.FanFiles {
	return &roles.FanFiles{Store: s, Files: mediatest.Open(t, mediatest.FileURL(t)), WX: api,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now, Retention: 180 * 24 * time.Hour}
}

// TestFanMediaFetched: a fan's picture (and a video's cover) is queued as
// the message arrives, fetched with media/get into the media store, and
// served byte for byte; a second queueing (WeChat's retry) changes
// nothing; after the retention period the file is deleted and the row
// says so.
func TestFanMediaFetched(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := faketest.Client(platform)
		for _, fan := range []string{"oFanPhoto", "oFanFlaky", "oFanDown", "oFanMany"} {
			if _, err := platform.Follow(ctx, wx.Account.AppID, fan, ""); err != nil {
				t.Fatal(err)
			}
		}
		clock := &fanClock{now: time.Now()}
		ff := newFanFiles(t, s, wx, clock)
		photo := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{9}, 300)...)
		_, img, err := platform.SendImageFile(ctx, wx.Account.AppID, "oFanPhoto", "receipt.png", photo)
		if err != nil {
			t.Fatal(err)
		}
		turn := fanTurn(t, s, "oFanPhoto", &message.MixMessage{CommonToken: message.CommonToken{MsgType: message.MsgTypeImage}, MediaID: img})
		center := &roles.Center{Store: s, Log: ff.Log, FanFiles: ff}
		for range 2 { // the retry queues nothing new
			if err := center.Handle(ctx, turn); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := ff.Fetch(ctx, 10); err != nil || n != 1 {
			t.Fatalf("fetched %d, %v", n, err)
		}
		if n, _ := ff.Fetch(ctx, 10); n != 0 {
			t.Errorf("fetched again: %d", n)
		}
		fm, f, err := ff.Open(ctx, turn.Inbound.ID, models.FanMediaMain)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, photo) || fm.ContentType != "image/png" || fm.OpenID != "oFanPhoto" || fm.Attempts != 1 {
			t.Errorf("kept %d bytes, %+v", len(got), fm)
		}
		// Retention: 181 days later the file goes and the row says so.
		clock.Add(181 * 24 * time.Hour)
		if n, err := ff.Sweep(ctx, 100); err != nil || n != 1 {
			t.Fatalf("swept %d, %v", n, err)
		}
		if _, _, err := ff.Open(ctx, turn.Inbound.ID, models.FanMediaMain); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("open after retention: %v", err)
		}
		if fm, _ := s.FindFanMedia(ctx, turn.Inbound.ID, models.FanMediaMain); fm.State != models.FanMediaExpired || fm.FileKey != "" {
			t.Errorf("after retention: %+v", fm)
		}
		if keys, _ := ff.Files.Keys(ctx, "fan/"); len(keys) != 0 {
			t.Errorf("files left: %v", keys)
		}
	})
}

// TestFanMediaExpiredAndRetried: a media id WeChat no longer has (40007,
// after its 3 days) ends the download at once; a network failure is
// retried with backoff, not before it is due, and given up after six
// tries; two workers never take the same download.
func TestFanMediaExpiredAndRetried(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := faketest.Client(platform)
		for _, fan := range []string{"oFanPhoto", "oFanFlaky", "oFanDown", "oFanMany"} {
			if _, err := platform.Follow(ctx, wx.Account.AppID, fan, ""); err != nil {
				t.Fatal(err)
			}
		}
		clock := &fanClock{now: time.Now()}
		// 40007: the fake never issued this id (as an expired one).
		gone := newFanFiles(t, s, wx, clock)
		turn := fanTurn(t, s, "oFanOld", &message.MixMessage{CommonToken: message.CommonToken{MsgType: message.MsgTypeVoice}, MediaID: "voice_expired_1", Format: "amr"})
		if err := gone.Queue(ctx, turn); err != nil {
			t.Fatal(err)
		}
		if n, err := gone.Fetch(ctx, 10); err != nil || n != 0 {
			t.Fatalf("fetched %d, %v", n, err)
		}
		fm, _ := s.FindFanMedia(ctx, turn.Inbound.ID, models.FanMediaMain)
		if fm.State != models.FanMediaGone || !strings.Contains(fm.Error, "40007") || fm.Attempts != 1 {
			t.Errorf("expired media: %+v", fm)
		}

		// Network failures: retried with backoff.
		_, img, err := platform.SendImage(ctx, wx.Account.AppID, "oFanFlaky")
		if err != nil {
			t.Fatal(err)
		}
		flaky := &flakyMedia{TempMediaAPI: wx, fails: 2}
		ff := newFanFiles(t, s, flaky, clock)
		turn = fanTurn(t, s, "oFanFlaky", &message.MixMessage{CommonToken: message.CommonToken{MsgType: message.MsgTypeImage}, MediaID: img})
		if err := ff.Queue(ctx, turn); err != nil {
			t.Fatal(err)
		}
		ff.Fetch(ctx, 10) // fails: due again in 30 s
		if n, _ := ff.Fetch(ctx, 10); n != 0 || flaky.calls != 1 {
			t.Errorf("retried before due: %d stored, %d calls", n, flaky.calls)
		}
		clock.Add(31 * time.Second)
		ff.Fetch(ctx, 10) // fails: due again in 2 min
		fm, _ = s.FindFanMedia(ctx, turn.Inbound.ID, models.FanMediaMain)
		if fm.State != models.FanMediaPending || fm.Attempts != 2 || !strings.Contains(fm.Error, "connection reset") {
			t.Errorf("after two failures: %+v", fm)
		}
		clock.Add(2*time.Minute + time.Second)
		if n, err := ff.Fetch(ctx, 10); n != 1 || err != nil {
			t.Errorf("third try: %d, %v", n, err)
		}

		// Given up after six tries.
		_, img2, _ := platform.SendImage(ctx, wx.Account.AppID, "oFanDown")
		down := newFanFiles(t, s, &flakyMedia{TempMediaAPI: wx, fails: 100}, clock)
		turn = fanTurn(t, s, "oFanDown", &message.MixMessage{CommonToken: message.CommonToken{MsgType: message.MsgTypeImage}, MediaID: img2})
		down.Queue(ctx, turn)
		for range 6 {
			down.Fetch(ctx, 10)
			clock.Add(3 * time.Hour)
		}
		fm, _ = s.FindFanMedia(ctx, turn.Inbound.ID, models.FanMediaMain)
		if fm.State != models.FanMediaFailed || fm.Attempts != 6 {
			t.Errorf("after six failures: %+v", fm)
		}

		// Two workers (two processes) claim disjoint downloads.
		var want []uint64
		for range 6 {
			_, id, _ := platform.SendImage(ctx, wx.Account.AppID, "oFanMany")
			tt := fanTurn(t, s, "oFanMany", &message.MixMessage{CommonToken: message.CommonToken{MsgType: message.MsgTypeImage}, MediaID: id})
			ff.Queue(ctx, tt)
			want = append(want, tt.Inbound.ID)
		}
		seen := map[uint64]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := s.ClaimFanMedia(ctx, 10, clock.Now(), time.Minute)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, g := range got {
					seen[g.MessageID]++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, id := range want {
			if seen[id] != 1 {
				t.Errorf("message %d claimed %d times", id, seen[id])
			}
		}
	})
}
