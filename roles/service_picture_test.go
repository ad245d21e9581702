package roles_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// TestAgentReplyPicture: an agent's picture from their computer is checked
// (type), uploaded as temporary media, kept, and sent as a customer-service
// image; it counts against the window's 5 messages like text, and a closed
// window or a used-up quota refuse it before anything is uploaded.
func TestAgentReplyPicture(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var pics *roles.Pictures
		d := newDesk(t, s, func(svc *roles.Service) {
			pics = &roles.Pictures{Files: mediatest.Open(t, mediatest.FileURL(t)), Now: time.Now}
			svc.Pictures = pics
		})
		pics.WX = d.Handler.Sender.WX
		ann := d.agent("ann", true, 5)
		d.Follow("p1")
		d.say("p1", "人工")
		conv, _ := s.OpenConversation(ctx, d.member("p1").ID)
		calls := len(platform.CallsFor(d.Acct.AppID))
		if err := d.svc.ReplyPicture(ctx, conv.ID, ann, "notes.txt", []byte("hello")); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("a text file: %v", err)
		}
		if len(platform.CallsFor(d.Acct.AppID)) != calls {
			t.Fatal("a refused picture reached WeChat")
		}
		if err := d.svc.ReplyPicture(ctx, conv.ID, ann, `C:\fakepath\map.png`, testPNG); err != nil {
			t.Fatal(err)
		}
		var got fake.Delivery
		for _, x := range platform.Inbox(d.Acct.AppID, "p1") {
			if x.Source == fake.SourceCustom {
				got = x
			}
		}
		if got.Kind != "image" || !strings.HasPrefix(got.MediaID, "fake-image-") {
			t.Fatalf("fan got %+v", got)
		}
		pic, err := s.SentPictureByMediaID(ctx, got.MediaID)
		if err != nil || pic.OpenID != "p1" || pic.Name != "map.png" || pic.CreatedBy != ann.ID {
			t.Fatalf("kept picture: %+v %v", pic, err)
		}
		if b, _ := pics.Files.Get(ctx, pic.FileKey); !bytes.Equal(b, testPNG) {
			t.Error("the kept file differs")
		}
		// Four more messages use up the window's five; the picture is the sixth.
		for i := 2; i <= 5; i++ {
			if err := d.svc.Reply(ctx, conv.ID, ann, models.TextReply(fmt.Sprint("msg ", i))); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		calls = len(platform.CallsFor(d.Acct.AppID))
		err = d.svc.ReplyPicture(ctx, conv.ID, ann, "late.png", testPNG)
		if models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(err.Error(), "quota") {
			t.Fatalf("over quota: %v", err)
		}
		// 49 hours later the window is closed.
		real := s.Now
		s.Now = func() time.Time { return real().Add(49 * time.Hour) }
		err = d.svc.ReplyPicture(ctx, conv.ID, ann, "late.png", testPNG)
		s.Now = real
		if models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(err.Error(), "48 hours") {
			t.Fatalf("closed window: %v", err)
		}
		if len(platform.CallsFor(d.Acct.AppID)) != calls {
			t.Fatal("a picture outside the window was uploaded")
		}
		if keys, _ := pics.Files.Keys(ctx, "sent/"); len(keys) != 1 {
			t.Errorf("kept files: %v", keys)
		}
	})
}
