package console

import (
	"errors"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// knownMessages translates the messages of known errors (models, roles)
// that staff meet in the console into catalogue keys. The layers below
// write English for logs and the API; the console shows the reader's
// language. A submatch becomes an argument; one named "why" is itself
// translated, one named "errcode" becomes the errcode's description.
var knownMessages = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^WeChat will not deliver this message: (?P<why>.+)\. Send the template message instead$`), "errmsg.window_closed"},
	{regexp.MustCompile(`^WeChat will not deliver this message: (?P<why>.+)\. Reply when the fan writes again$`), "errmsg.window_closed_wait"},
	{regexp.MustCompile(`^WeChat refused the message \(errcode (?P<errcode>-?\d+)\)$`), "errmsg.wechat_refused"},
	{regexp.MustCompile(`^WeChat refused the template message \(errcode (?P<errcode>-?\d+)\)$`), "errmsg.wechat_refused_template"},
	{regexp.MustCompile(`^WeChat refused: errcode (?P<errcode>-?\d+)`), "errmsg.wechat_refused"},
	{regexp.MustCompile(`^the fan has unfollowed$`), "errmsg.why_unfollowed"},
	{regexp.MustCompile(`^the fan has not written in the last 48 hours$`), "errmsg.why_48h"},
	{regexp.MustCompile(`^the short window of the fan's last follow, scan or menu click has closed$`), "errmsg.why_event_closed"},
	{regexp.MustCompile(`^the fan's message quota for this window is used up$`), "errmsg.why_quota"},
	{regexp.MustCompile(`^claim the conversation before replying$`), "errmsg.claim_first"},
	{regexp.MustCompile(`^write the message first$`), "errmsg.write_first"},
	{regexp.MustCompile(`^a template keyword holds at most 20 characters; this is (\d+)$`), "errmsg.template_keyword"},
	{regexp.MustCompile(`^at least one enabled admin must remain$`), "errmsg.last_admin"},
	{regexp.MustCompile(`^you cannot disable your own account$`), "errmsg.self_disable"},
	{regexp.MustCompile(`^your role may not do this$`), "errmsg.role_forbidden"},
	{regexp.MustCompile(`^not logged in$`), "errmsg.not_logged_in"},
	{regexp.MustCompile(`^this account is disabled$`), "login.disabled"},
	{regexp.MustCompile(`^username must be 2-64 letters, digits, '\.', '_' or '-'$`), "errmsg.username"},
	{regexp.MustCompile(`^a broadcast that has run keeps its report and cannot be deleted$`), "errmsg.bc_ran"},
	{regexp.MustCompile(`^only a draft or cancelled broadcast can be deleted$`), "errmsg.bc_not_deletable"},
	{regexp.MustCompile(`^a (\w+) broadcast cannot be edited$`), "errmsg.bc_not_editable"},
	{regexp.MustCompile(`^unknown filter$`), "errmsg.unknown_filter"},
	{regexp.MustCompile(`^your role cannot see this report$`), "errmsg.report_forbidden"},
	{regexp.MustCompile(`^bad openid$`), "errmsg.bad_openid"},
	{regexp.MustCompile(`^tables are exported as <name>\.csv$`), "errmsg.csv_only"},
	{regexp.MustCompile(`^this QR code expired on (.+); create a new channel for a fresh code$`), "errmsg.qr_expired"},
	{regexp.MustCompile(`^choose a file to upload$`), "errmsg.media_choose"},
	{regexp.MustCompile(`^choose a picture on your computer or from the media library$`), "errmsg.picture_choose"},
	{regexp.MustCompile(`^pictures cannot be sent from this server$`), "errmsg.picture_off"},
	{regexp.MustCompile(`^unknown material kind`), "errmsg.media_kind"},
	{regexp.MustCompile(`^(?P<kind>an image|a voice file|a video|a thumb) must be a (\S+) file; "(.*)" is not$`), "errmsg.media_ext"},
	{regexp.MustCompile(`^(?P<kind>an image|a voice file|a video|a thumb) may be at most (.+); "(.*)" is (.+)$`), "errmsg.media_size"},
	{regexp.MustCompile(`^"(.*)" is not really a (\S+) file`), "errmsg.media_content"},
	{regexp.MustCompile(`^a video needs a title`), "errmsg.media_title"},
	{regexp.MustCompile(`^the account holds the most (?P<kindword>\w+) materials WeChat allows \((\d+)\)`), "errmsg.media_quota"},
	{regexp.MustCompile(`^WeChat's quota for (?P<kindword>\w+) materials is used up`), "errmsg.media_wechat_quota"},
	{regexp.MustCompile(`^a library sync is already running$`), "errmsg.media_sync_running"},
	{regexp.MustCompile(`^WeChat could not be reached$`), "errmsg.media_unreachable"},
	{regexp.MustCompile(`^a draft needs at least one article$`), "errmsg.news_none"},
	{regexp.MustCompile(`^a draft holds at most (\d+) articles; this one has (\d+)$`), "errmsg.news_too_many"},
	{regexp.MustCompile(`^article (\d+) needs a title$`), "errmsg.news_title"},
	{regexp.MustCompile(`^article (\d+): the title may be at most (\d+) characters$`), "errmsg.news_title_long"},
	{regexp.MustCompile(`^article (\d+): the author may be at most (\d+) characters$`), "errmsg.news_author_long"},
	{regexp.MustCompile(`^article (\d+): the digest may be at most (\d+) characters$`), "errmsg.news_digest_long"},
	{regexp.MustCompile(`^article (\d+) needs a body$`), "errmsg.news_body"},
	{regexp.MustCompile(`^article (\d+): the body must stay under (\d+) characters$`), "errmsg.news_body_long"},
	{regexp.MustCompile(`^article (\d+): the source URL is too long$`), "errmsg.news_source_long"},
	{regexp.MustCompile(`^article (\d+): the source URL must start with`), "errmsg.news_source_scheme"},
	{regexp.MustCompile(`^article (\d+): the cover must be an image from the media library$`), "errmsg.news_cover"},
	{regexp.MustCompile(`^article (\d+): pictures must be uploaded with the editor's picture button`), "errmsg.news_pictures"},
	{regexp.MustCompile(`^a draft that is being published or was published cannot be`), "errmsg.news_locked"},
	{regexp.MustCompile(`^the draft is already being published or was published$`), "errmsg.news_publishing"},
	{regexp.MustCompile(`^choose a fan to preview to$`), "errmsg.news_preview_fan"},
	{regexp.MustCompile(`^a body picture must be a jpg or png file$`), "errmsg.news_img_type"},
	{regexp.MustCompile(`^a body picture may be at most 1 MB; this one is (.+)$`), "errmsg.news_img_size"},
	{regexp.MustCompile(`^a draw needs a title of 1-100 bytes$`), "errmsg.lucky_title"},
	{regexp.MustCompile(`^a draw needs a prize of 1-191 bytes$`), "errmsg.lucky_prize"},
	{regexp.MustCompile(`^the entry window needs a (?:start|end) date and time$`), "errmsg.lucky_time"},
	{regexp.MustCompile(`^the entry window must end after it starts$`), "errmsg.lucky_window"},
	{regexp.MustCompile(`^the points cost must not be negative$`), "errmsg.lucky_cost"},
	{regexp.MustCompile(`^a draw needs 1-(\d+) winners$`), "errmsg.lucky_winners"},
	{regexp.MustCompile(`: already exists$`), "errmsg.exists"},
	{regexp.MustCompile(`: not found$`), "errmsg.not_found"},
}

// kindPhrases maps the material kinds as models' messages name them.
var kindPhrases = map[string]string{"an image": models.MaterialImage, "a voice file": models.MaterialVoice,
	"a video": models.MaterialVideo, "a thumb": models.MaterialThumb}

// errText is the message of a known error in lang; messages without a
// translation are shown as they are.
func (h *Handler) errText(lang string, err error) string {
	var e *models.Error
	if !errors.As(err, &e) {
		return h.Pages.T(lang, "error.internal_message")
	}
	return h.translateMessage(lang, e.Message)
}

// translateMessage translates one message (see knownMessages).
func (h *Handler) translateMessage(lang, msg string) string {
	for _, k := range knownMessages {
		m := k.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		var args []any
		for i, name := range k.re.SubexpNames()[1:] {
			v := m[i+1]
			switch name {
			case "why":
				args = append(args, h.translateMessage(lang, v))
			case "kind": // "an image" … as the library's tabs name it
				args = append(args, h.Pages.T(lang, "media.kind."+kindPhrases[v]))
			case "kindword":
				args = append(args, h.Pages.T(lang, "media.kind."+v))
			case "errcode":
				n, _ := strconv.Atoi(v)
				what, next := wechat.DescribeCode(lang, n)
				args = append(args, what, next, n)
			default:
				args = append(args, v)
			}
		}
		return h.Pages.T(lang, k.key, args...)
	}
	return msg
}

// errFor is errText for the current request's reader.
func (h *Handler) errFor(c *gin.Context, err error) string { return h.errText(h.lang(c), err) }
