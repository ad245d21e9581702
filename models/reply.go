package models

import (
	"encoding/json"
	"unicode/utf8"
)

// Reply kinds: what fivec can answer a fan with.
const (
	ReplyText  = "text"
	ReplyImage = "image"
	ReplyVoice = "voice"
	ReplyVideo = "video"
	ReplyMusic = "music"
	ReplyNews  = "news"
	// ReplyMpNews is a news article from the media library, by media_id
	// (customer-service and mass messages only, never a passive reply).
	ReplyMpNews   = "mpnews"
	ReplyTransfer = "transfer_customer_service"
)

// Article is one item of a news (图文) reply.
type Article struct {
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	PicURL      string `json:"pic_url,omitempty" yaml:"pic_url,omitempty"`
	URL         string `json:"url,omitempty" yaml:"url,omitempty"`
}

// Reply is one message to a fan, independent of how it travels (passive
// reply, customer-service message). It is stored as JSON with the message
// it answers, so WeChat's retries get the same answer.
type Reply struct {
	Kind        string    `json:"kind" yaml:"kind"`
	Text        string    `json:"text,omitempty" yaml:"text,omitempty"`
	MediaID     string    `json:"media_id,omitempty" yaml:"media_id,omitempty"`
	Title       string    `json:"title,omitempty" yaml:"title,omitempty"`
	Description string    `json:"description,omitempty" yaml:"description,omitempty"`
	MusicURL    string    `json:"music_url,omitempty" yaml:"music_url,omitempty"`
	HQMusicURL  string    `json:"hq_music_url,omitempty" yaml:"hq_music_url,omitempty"`
	Articles    []Article `json:"articles,omitempty" yaml:"articles,omitempty"`
	KfAccount   string    `json:"kf_account,omitempty" yaml:"kf_account,omitempty"`
}

// TextReply is a plain text reply.
func TextReply(s string) Reply { return Reply{Kind: ReplyText, Text: s} }

// Summary is a short human-readable rendering for logs and the console.
func (r Reply) Summary() string {
	switch r.Kind {
	case ReplyText:
		return r.Text
	case ReplyNews:
		if len(r.Articles) > 0 {
			return "[图文] " + r.Articles[0].Title
		}
		return "[图文]"
	case ReplyTransfer:
		return "[转人工客服]"
	default:
		// Staff read these in the member's log and the inbox: the kinds
		// fivec sends are labelled in Chinese, as 图文 is.
		label, ok := replyLabels[r.Kind]
		if !ok {
			label = r.Kind
		}
		s := "[" + label + "]"
		if r.Title != "" {
			s += " " + r.Title
		}
		return s
	}
}

// replyLabels name the other kinds of reply in Summary.
var replyLabels = map[string]string{ReplyImage: "图片", ReplyVoice: "语音", ReplyVideo: "视频", ReplyMusic: "音乐", "template": "模板消息"}

func encodeReplies(rs []Reply) string {
	if len(rs) == 0 {
		return ""
	}
	b, _ := json.Marshal(rs) // plain structs: cannot fail
	return string(b)
}

func decodeReplies(s string) ([]Reply, error) {
	if s == "" {
		return nil, nil
	}
	var rs []Reply
	err := json.Unmarshal([]byte(s), &rs)
	return rs, err
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
