package wechat

import "strings"

// ErrClass says what a WeChat errcode means for whoever made the call:
// try again later, fix the account, give up on this fan, or nobody knows.
type ErrClass int

const (
	// ErrUnknown is an errcode this table does not list, or a call that
	// failed with no errcode: callers decide (delivery treats it as final).
	ErrUnknown ErrClass = iota
	// ErrTransient: the platform is busy or a quota resets soon (-1, 45009,
	// 45011, 45066). The same call may succeed later: retry with backoff.
	ErrTransient
	// ErrAccountBroken: the account, not the fan, is at fault (token,
	// secret, IP whitelist, verification). Every call fails until it is
	// fixed; delivery retries so its breaker pauses instead of failing
	// every fan of a push.
	ErrAccountBroken
	// ErrRecipient: this fan cannot receive this message (unfollowed,
	// window closed or used up, bad openid, blacklisted). Final for the
	// fan; other fans are unaffected.
	ErrRecipient
)

// String names the class for logs.
func (c ErrClass) String() string {
	switch c {
	case ErrTransient:
		return "transient"
	case ErrAccountBroken:
		return "account broken"
	case ErrRecipient:
		return "recipient"
	}
	return "unknown"
}

// ErrInfo is what one WeChat errcode means: for the code that made the
// call, its class (retry, fix the account, give up on this fan); for the
// people who read the console, what happened and what to do next, in
// Chinese and in English.
type ErrInfo struct {
	Class ErrClass
	// StaleToken: the cached access token must be dropped and the call
	// tried once more with a fresh one.
	StaleToken     bool
	ZH, EN         string // what happened
	NextZH, NextEN string // what to do next ("" when there is nothing to do)
}

// errcodes is every errcode fivec meets (sends, mass sends, templates,
// menus, QR codes, tags, media, the token) with its meaning. Keep it a
// plain table: a code's class and its words live in one entry.
var errcodes = map[int]ErrInfo{
	-1: {Class: ErrTransient, ZH: "微信系统繁忙", EN: "WeChat is busy",
		NextZH: "稍后自动重试；持续出现请检查微信公众平台状态。", NextEN: "Retried automatically; if it persists, check the WeChat platform status."},
	40001: {Class: ErrAccountBroken, StaleToken: true, ZH: "access_token 无效或已过期", EN: "the access token is invalid or expired",
		NextZH: "系统会重新获取令牌并重试；反复出现请检查 AppSecret 是否被重置、是否有其他程序在刷新令牌。", NextEN: "fivec fetches a new token and retries; if it repeats, check whether the AppSecret was reset or another program refreshes the token."},
	40002: {ZH: "凭证类型不合法", EN: "invalid credential type",
		NextZH: "检查公众号配置（AppID、AppSecret）。", NextEN: "Check the account settings (AppID, AppSecret)."},
	40003: {Class: ErrRecipient, ZH: "OpenID 不属于本公众号", EN: "the OpenID does not belong to this account",
		NextZH: "核对粉丝 OpenID；可能来自另一个公众号或测试号。", NextEN: "Check the fan's OpenID; it may come from another account or a test account."},
	40004: {ZH: "媒体文件类型不合法", EN: "invalid media type",
		NextZH: "素材类型只能是图片、语音、视频或缩略图。", NextEN: "A material is an image, voice, video or thumb."},
	40005: {ZH: "文件格式不被微信接受", EN: "WeChat does not accept this file format",
		NextZH: "图片用 bmp/png/jpeg/gif，语音用 amr/mp3，视频用 mp4，缩略图用 jpg。", NextEN: "Images: bmp/png/jpeg/gif; voice: amr/mp3; video: mp4; thumbs: jpg."},
	40007: {ZH: "素材 media_id 无效（临时素材只保留 3 天）", EN: "invalid media_id (temporary media is kept 3 days)",
		NextZH: "重新上传图片或素材后再发送。", NextEN: "Upload the image or material again, then resend."},
	40008: {ZH: "消息类型不合法", EN: "invalid message type",
		NextZH: "换一种消息类型发送。", NextEN: "Send another message type."},
	40013: {Class: ErrAccountBroken, ZH: "AppID 不合法", EN: "invalid AppID",
		NextZH: "检查 FIVEC_WECHAT_APPID 配置。", NextEN: "Check the FIVEC_WECHAT_APPID setting."},
	40014: {Class: ErrAccountBroken, StaleToken: true, ZH: "access_token 不合法", EN: "invalid access token",
		NextZH: "系统会重新获取令牌并重试。", NextEN: "fivec fetches a new token and retries."},
	40016: {ZH: "菜单按钮数量不合法", EN: "invalid number of menu buttons",
		NextZH: "一级菜单最多 3 个，每个最多 5 个子菜单。", NextEN: "At most 3 top-level buttons with 5 sub-buttons each."},
	40032: {ZH: "OpenID 列表长度不合法", EN: "invalid OpenID list length",
		NextZH: "按 OpenID 群发需要 2 到 10000 个粉丝。", NextEN: "A send by OpenID list needs 2 to 10,000 fans."},
	40035: {ZH: "参数不合法", EN: "invalid argument",
		NextZH: "检查消息内容和格式。", NextEN: "Check the message content and format."},
	40037: {ZH: "模板 ID 无效", EN: "invalid template_id",
		NextZH: "在公众平台核对模板是否存在，更新配置。", NextEN: "Check the template exists on the platform and update the settings."},
	40130: {ZH: "按 OpenID 群发至少需要 2 个粉丝", EN: "a send by OpenID list needs at least 2 fans",
		NextZH: "扩大受众，或改为单独发送客服消息。", NextEN: "Widen the audience, or send a customer-service message instead."},
	40125: {Class: ErrAccountBroken, ZH: "AppSecret 不合法", EN: "invalid AppSecret",
		NextZH: "检查 FIVEC_WECHAT_APPSECRET 是否与公众平台一致（重置后需更新）。", NextEN: "Check FIVEC_WECHAT_APPSECRET matches the platform (update it after a reset)."},
	40164: {Class: ErrAccountBroken, ZH: "调用接口的 IP 不在公众号白名单中", EN: "the calling IP is not on the account's IP whitelist",
		NextZH: "在公众平台「基本配置 → IP 白名单」加入服务器的出口 IP。", NextEN: "Add the server's outgoing IP under Basic settings → IP whitelist on the platform."},
	41001: {Class: ErrAccountBroken, ZH: "缺少 access_token", EN: "missing access token",
		NextZH: "检查公众号配置；系统会重新获取令牌。", NextEN: "Check the account settings; fivec fetches a new token."},
	41005: {ZH: "缺少要上传的文件", EN: "the upload has no file",
		NextZH: "选择文件后再上传。", NextEN: "Choose a file, then upload."},
	42001: {Class: ErrAccountBroken, StaleToken: true, ZH: "access_token 已过期", EN: "the access token expired",
		NextZH: "系统会重新获取令牌并重试。", NextEN: "fivec fetches a new token and retries."},
	43002: {ZH: "需要 POST 请求", EN: "POST required",
		NextZH: "请联系开发人员。", NextEN: "Contact a developer."},
	43004: {Class: ErrRecipient, ZH: "粉丝未关注公众号", EN: "the fan does not follow the account",
		NextZH: "无需处理；粉丝重新关注后才能收到消息。", NextEN: "Nothing to do; the fan gets messages again after following again."},
	43019: {Class: ErrRecipient, ZH: "粉丝在公众号黑名单中", EN: "the fan is on the account's blacklist",
		NextZH: "无需处理；移出黑名单后才能收到消息。", NextEN: "Nothing to do; the fan gets messages after leaving the blacklist."},
	44002: {ZH: "消息内容为空", EN: "empty message",
		NextZH: "填写内容后再发送。", NextEN: "Fill in the content, then send."},
	44003: {ZH: "图文消息没有文章", EN: "the news message has no article",
		NextZH: "至少写一篇文章再保存。", NextEN: "Write at least one article, then save."},
	44004: {ZH: "文章标题或正文为空", EN: "an article's title or body is empty",
		NextZH: "填写每篇文章的标题和正文后再保存。", NextEN: "Fill in every article's title and body, then save."},
	45001: {ZH: "文件超过微信的大小限制", EN: "the file is over WeChat's size limit",
		NextZH: "图片和视频不超过 10 MB，语音不超过 2 MB，缩略图不超过 64 KB；压缩后再上传。", NextEN: "Images and video up to 10 MB, voice 2 MB, thumbs 64 KB; compress the file, then upload."},
	45002: {ZH: "消息内容过长", EN: "the message is too long",
		NextZH: "缩短文字后再发送。", NextEN: "Shorten the text, then send."},
	45008: {ZH: "图文消息超过 1 篇", EN: "more than one article",
		NextZH: "客服消息只能带 1 篇图文。", NextEN: "A customer-service message carries one article."},
	45009: {Class: ErrTransient, ZH: "接口调用次数已达今日上限", EN: "the daily API quota is used up",
		NextZH: "明天额度恢复后会继续发送；可在公众平台查看或申请提高额度。", NextEN: "Sending resumes when the quota resets tomorrow; check or raise it on the platform."},
	45011: {Class: ErrTransient, ZH: "接口调用太频繁", EN: "API calls too frequent",
		NextZH: "稍后自动重试。", NextEN: "Retried automatically later."},
	45015: {Class: ErrRecipient, ZH: "超出 48 小时回复时限，或粉丝已取消关注", EN: "outside the 48-hour reply window, or the fan unfollowed",
		NextZH: "粉丝再次发消息后才能回复；紧急事项请改发模板消息。", NextEN: "Reply after the fan writes again; for urgent matters send a template message."},
	45028: {ZH: "群发次数已用完", EN: "no mass-send quota left",
		NextZH: "等待下一个周期（订阅号每天 1 次，服务号每月 4 次）。", NextEN: "Wait for the next period (subscription accounts: 1 a day; service accounts: 4 a month)."},
	45047: {Class: ErrRecipient, ZH: "客服消息条数已用完（48 小时内最多 5 条）", EN: "customer-service message quota used (5 per 48 hours)",
		NextZH: "等粉丝再次互动，或改发模板消息。", NextEN: "Wait until the fan interacts again, or send a template message."},
	45056: {ZH: "标签数量已达上限", EN: "too many tags",
		NextZH: "删除不用的标签（每个公众号最多 100 个）。", NextEN: "Delete unused tags (at most 100 per account)."},
	45058: {ZH: "不能修改系统保留标签", EN: "a reserved tag cannot be changed",
		NextZH: "系统标签（0/1/2）不能修改或删除。", NextEN: "Reserved tags (0/1/2) cannot be changed or deleted."},
	45059: {ZH: "粉丝身上的标签已达上限", EN: "the fan has too many tags",
		NextZH: "每个粉丝最多 20 个标签，先移除一些。", NextEN: "A fan carries at most 20 tags; remove some first."},
	45065: {ZH: "同一群发 24 小时内已提交过", EN: "this mass send was already submitted in the last 24 hours",
		NextZH: "无需重发；系统会查询已有的群发结果。", NextEN: "No need to resend; fivec looks up the existing send."},
	45066: {Class: ErrTransient, ZH: "群发重试太快", EN: "mass send retried too fast",
		NextZH: "稍后自动重试。", NextEN: "Retried automatically later."},
	45157: {ZH: "标签名不合法", EN: "invalid tag name",
		NextZH: "换一个标签名。", NextEN: "Choose another tag name."},
	45158: {ZH: "标签名过长", EN: "the tag name is too long",
		NextZH: "标签名最多 30 个字节（约 10 个汉字）。", NextEN: "A tag name has at most 30 bytes."},
	45159: {ZH: "标签不存在", EN: "no such tag",
		NextZH: "先同步标签。", NextEN: "Sync the tags first."},
	46003: {ZH: "菜单不存在", EN: "no menu",
		NextZH: "先发布菜单。", NextEN: "Publish the menu first."},
	47001: {ZH: "请求格式错误", EN: "malformed request",
		NextZH: "请联系开发人员。", NextEN: "Contact a developer."},
	47003: {ZH: "模板参数不合法", EN: "invalid template field",
		NextZH: "检查模板字段长度（如 thing 最多 20 字）。", NextEN: "Check the template field lengths (thing: at most 20 characters)."},
	48001: {Class: ErrAccountBroken, ZH: "公众号没有这项接口权限", EN: "the account lacks this API permission",
		NextZH: "在公众平台确认认证状态和接口权限。", NextEN: "Check the account's verification and API permissions on the platform."},
	50001: {ZH: "用户未授权该接口", EN: "the API is not authorised",
		NextZH: "在公众平台检查接口权限。", NextEN: "Check the API permissions on the platform."},
	61023: {ZH: "第三方平台授权已失效", EN: "the third-party platform authorisation is invalid",
		NextZH: "请管理员重新授权公众号。", NextEN: "Ask an admin to authorise the account again."},
}

// Explain returns what errcode means. ok is false for a code fivec does not
// know: info then says so, with the number for a search in WeChat's docs.
func Explain(errcode int) (info ErrInfo, ok bool) {
	if info, ok = errcodes[errcode]; ok {
		return info, true
	}
	return ErrInfo{ZH: "微信拒绝了请求", EN: "WeChat refused the request",
		NextZH: "在微信开放文档中按错误码查找原因。", NextEN: "Look the errcode up in WeChat's documentation."}, false
}

// DescribeCode is errcode in words for lang ("zh" or "en"): what happened
// and what to do next, joined in one sentence pair. 0 gives "".
func DescribeCode(lang string, errcode int) (what, next string) {
	if errcode == 0 {
		return "", ""
	}
	info, _ := Explain(errcode)
	if lang == "en" {
		return info.EN, info.NextEN
	}
	return info.ZH, info.NextZH
}

// ClassOf returns code's class (ErrUnknown for 0 and unlisted codes).
func ClassOf(code int) ErrClass {
	return errcodes[code].Class
}

// templateStatuses are the Status values of TEMPLATESENDJOBFINISH for a
// template message WeChat accepted (it had a msgid) but did not deliver.
// They are words, not errcodes, so they have their own keys in the one
// table of explanations; keys are normalised (lower case, no space after
// the colon: WeChat writes both "failed:user block" and "failed: system
// failed").
var templateStatuses = map[string]ErrInfo{
	"failed:user block": {Class: ErrRecipient, ZH: "粉丝已拒收本公众号的模板消息", EN: "the fan has turned off this account's template messages",
		NextZH: "无需重发；粉丝在微信里重新接收后才能收到。粉丝发消息后 48 小时内可改用客服消息回复。",
		NextEN: "Do not resend; the fan receives them again only after turning them back on in WeChat. Within 48 hours after the fan writes, reply with a customer-service message."},
	"failed:system failed": {Class: ErrTransient, ZH: "微信系统原因，模板消息未送达", EN: "WeChat failed to deliver the template message (system failure)",
		NextZH: "稍后重新发送；持续出现请查看微信公众平台的公告。", NextEN: "Send it again later; if it persists, check the WeChat platform's announcements."},
}

// TemplateStatusFailed reports whether a TEMPLATESENDJOBFINISH Status says
// the message was not delivered: anything but "success" (WeChat may add
// statuses; an unknown one is a failure too).
func TemplateStatusFailed(status string) bool {
	return normalizeStatus(status) != "success"
}

func normalizeStatus(status string) string {
	s := strings.ToLower(strings.TrimSpace(status))
	if head, rest, ok := strings.Cut(s, ":"); ok {
		s = strings.TrimSpace(head) + ":" + strings.TrimSpace(rest)
	}
	return s
}

// ExplainTemplateStatus returns what a failed template message's status
// means; ok is false for a status this table does not list (info then
// says the message was not delivered, quoting nothing raw).
func ExplainTemplateStatus(status string) (info ErrInfo, ok bool) {
	if info, ok = templateStatuses[normalizeStatus(status)]; ok {
		return info, true
	}
	return ErrInfo{ZH: "微信未能送达这条模板消息", EN: "WeChat did not deliver this template message",
		NextZH: "稍后重新发送；反复出现请在微信公众平台查看原因。", NextEN: "Send it again later; if it repeats, look for the reason on the WeChat platform."}, false
}

// publishStatuses are the publish_status values of PUBLISHJOBFINISH and
// freepublish/get (wechat-platform.md §11) that mean the articles are not
// (or no longer) readable.
var publishStatuses = map[int]ErrInfo{
	2: {ZH: "原创声明校验未通过", EN: "the originality check failed",
		NextZH: "修改标出的文章（去掉原创声明或改写内容）后重新发布。", NextEN: "Change the articles named (drop the originality claim or rewrite them), then publish again."},
	3: {ZH: "发布失败", EN: "publishing failed",
		NextZH: "检查标出的文章是否都有封面、标题和正文，修改后重新发布。", NextEN: "Check the articles named all have a cover, title and body, then publish again."},
	4: {ZH: "平台审核未通过", EN: "WeChat's review refused the articles",
		NextZH: "按公众平台的内容规范修改标出的文章后重新发布。", NextEN: "Change the articles named to meet the platform's content rules, then publish again."},
	5: {ZH: "发布成功后文章已被全部删除", EN: "all articles were deleted after publishing",
		NextZH: "如需再次发布，请复制内容新建草稿。", NextEN: "To publish again, copy the content into a new draft."},
	6: {ZH: "发布成功后文章已被平台封禁", EN: "the articles were banned by the platform after publishing",
		NextZH: "在公众平台查看封禁原因。", NextEN: "Look for the reason on the WeChat platform."},
}

// ExplainPublishStatus returns what a publish_status other than 0
// (success) and 1 (publishing) means; ok is false for one this table does
// not list (info then says the publish failed).
func ExplainPublishStatus(status int) (info ErrInfo, ok bool) {
	if info, ok = publishStatuses[status]; ok {
		return info, true
	}
	return ErrInfo{ZH: "发布没有成功", EN: "publishing did not succeed",
		NextZH: "在公众平台的「发表记录」查看原因，修改后重新发布。", NextEN: "See the publishing record on the WeChat platform, then publish again."}, false
}

// DescribePublishStatus is a failed publish in words for lang ("zh" or
// "en"): what happened and what to do next.
func DescribePublishStatus(lang string, status int) (what, next string) {
	info, _ := ExplainPublishStatus(status)
	if lang == "en" {
		return info.EN, info.NextEN
	}
	return info.ZH, info.NextZH
}

// DescribeTemplateStatus is a failed template message's status in words
// for lang ("zh" or "en"): what happened and what to do next.
func DescribeTemplateStatus(lang, status string) (what, next string) {
	info, _ := ExplainTemplateStatus(status)
	if lang == "en" {
		return info.EN, info.NextEN
	}
	return info.ZH, info.NextZH
}

// StaleToken reports whether errcode code means the access token the call
// used is no longer valid (drop it and try once more).
func StaleToken(code int) bool { return errcodes[code].StaleToken }
