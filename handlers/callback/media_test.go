package callback_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// TestVideoStoredEmpty: a fan's video or short video was logged with empty
// content, an empty bubble in the member's log and the inbox. What WeChat
// sends for it (the temporary MediaId and the cover's ThumbMediaId) is
// stored, as an image's PicUrl is, under a [视频] / [小视频] label.
func TestVideoStoredEmpty(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, true)
		ctx := context.Background()
		const fan = "o_video"
		if _, err := platform.Follow(ctx, e.Acct.AppID, fan, ""); err != nil {
			t.Fatal(err)
		}
		for _, msg := range []fake.CallbackMessage{
			{MsgType: "video", MediaID: "vid-media-1", ThumbMediaID: "vid-thumb-1"},
			{MsgType: "shortvideo", MediaID: "svid-media-2", ThumbMediaID: "svid-thumb-2"},
		} {
			if _, err := platform.Post(ctx, e.Acct.AppID, fan, msg); err != nil {
				t.Fatal(err)
			}
		}
		e.Handler.Wait()
		log, err := s.Conversation(ctx, fan, 50)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"video": "[视频] media_id=vid-media-1 thumb_media_id=vid-thumb-1",
			"shortvideo": "[小视频] media_id=svid-media-2 thumb_media_id=svid-thumb-2"}
		for _, m := range log {
			if w, ok := want[m.MsgType]; ok && m.Direction == models.DirectionIn {
				if m.Content != w {
					t.Errorf("%s stored as %q, want %q", m.MsgType, m.Content, w)
				}
				delete(want, m.MsgType)
			}
		}
		if len(want) != 0 {
			t.Errorf("not logged: %v", want)
		}
	})
}

// TestVoiceStoredEmpty: a fan's voice note without WeChat's recognition
// was logged with empty content (an empty bubble in the member's log and
// the inbox). It is stored as a [语音] message with its media id and
// format, and with the recognised text when WeChat sent one.
func TestVoiceStoredEmpty(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, true)
		ctx := context.Background()
		const fan = "o_voice"
		if _, err := platform.Follow(ctx, e.Acct.AppID, fan, ""); err != nil {
			t.Fatal(err)
		}
		_, plain, err := platform.SendVoice(ctx, e.Acct.AppID, fan, "amr", "")
		if err != nil {
			t.Fatal(err)
		}
		_, heard, err := platform.SendVoice(ctx, e.Acct.AppID, fan, "mp3", "营业时间是几点")
		if err != nil {
			t.Fatal(err)
		}
		e.Handler.Wait()
		log, err := s.Conversation(ctx, fan, 50)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range log {
			if m.MsgType == "voice" && m.Direction == models.DirectionIn {
				got = append(got, m.Content)
			}
		}
		want := []string{"[语音] media_id=" + plain + " format=amr", "[语音] 识别：营业时间是几点 media_id=" + heard + " format=mp3"}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("voice notes stored as %q, want %q", got, want)
		}
	})
}
