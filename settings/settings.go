// Package settings holds what an admin tunes in the console without a
// restart: the catalogue of settings (each with its environment variable as
// the default), their validation, and Live, the one provider through which
// the roles and the delivery engine read the values in force.
//
// A value saved in the console wins over the environment once set;
// "恢复默认" removes it and the environment's value applies again. Every
// process re-reads the settings version every ReloadEvery (jobs runs
// Live.ReloadIfChanged), so a change reaches every replica within a few
// seconds; the process that saved it applies it at once.
package settings

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fivec/fivec/replytemplate"
)

// ReloadEvery is how often every process looks for changed settings: the
// delay documented in docs/settings.md.
const ReloadEvery = 2 * time.Second

// Keys of the settings.
const (
	WelcomeText         = "welcome_text"
	DefaultReply        = "default_reply"
	ServiceQueued       = "service_queued"
	ServiceWaiting      = "service_waiting"
	ServiceAssigned     = "service_assigned"
	ServiceResolved     = "service_resolved"
	ServiceTimeout      = "service_timeout"
	ServiceApology      = "service_apology"
	ServiceSatisfaction = "service_satisfaction"
	ServiceThanks       = "service_thanks"
	ServiceKeywords     = "service_keywords"
	ServiceMenuKey      = "service_menu_key"
	ServiceUnanswered   = "service_unanswered"
	SignInPoints        = "signin_points"
	SignInBonus         = "signin_bonus"
	SignInBonusEvery    = "signin_bonus_every"
	ReferralPoints      = "referral_points"
	ReferralHold        = "referral_hold"
	ReferralDailyCap    = "referral_daily_cap"
	PointsLife          = "points_life"
	DeliveryRate        = "delivery_rate"
	PushCap             = "push_cap"
	QuietHours          = "quiet_hours"
	ServiceOffHours     = "service_off_hours"
	HoursMon            = "hours_mon"
	HoursTue            = "hours_tue"
	HoursWed            = "hours_wed"
	HoursThu            = "hours_thu"
	HoursFri            = "hours_fri"
	HoursSat            = "hours_sat"
	HoursSun            = "hours_sun"
	ServiceHolidays     = "service_holidays"
)

// Kind is how a setting is written and checked.
type Kind int

// Kinds of settings.
const (
	// Text is a text a fan receives: a reply template (replytemplate)
	// that may use only the setting's Vars.
	Text Kind = iota
	// Int is a whole number between Min and Max.
	Int
	// Duration is a length of time: "7d", "36h", "30m" (0: off where the
	// setting says so).
	Duration
	// Quiet is a time range such as "22:00-08:00" in the account's zone,
	// or empty (no quiet hours).
	Quiet
	// List is words separated by commas (，or ,).
	List
	// Word is a single token without spaces (a menu key).
	Word
	// Ranges are a day's business hours: "09:00-12:00,13:00-18:00" in the
	// account's zone, or empty (closed that day).
	Ranges
	// Dates are days: "2026-10-01", ranges "2026-10-01~2026-10-07",
	// separated by commas.
	Dates
)

// Def describes one setting.
type Def struct {
	Key string
	// Env is the environment variable whose value is the default ("":
	// none; the built-in default applies).
	Env   string
	Group string // texts, service, points, delivery
	Kind  Kind
	// Label names the setting in errors (Chinese, as the console shows it).
	Label string
	// Required: a Text that must not be empty.
	Required bool
	// Vars are the variables a Text may use.
	Vars replytemplate.Vars
	// Min and Max bound an Int (Max 0: no upper bound).
	Min, Max int64
}

// Groups in the order the console shows them ("channels" holds the
// channels' welcome texts, one per channel).
var Groups = []string{"texts", "channels", "service", "hours", "points", "delivery"}

var (
	nameVar     = replytemplate.Vars{"Name": replytemplate.String}
	aheadVars   = replytemplate.Vars{"Name": replytemplate.String, "Ahead": replytemplate.Number}
	assignVars  = replytemplate.Vars{"Name": replytemplate.String, "Agent": replytemplate.String}
	noVars      = replytemplate.Vars{}
	opensVars   = replytemplate.Vars{"Name": replytemplate.String, "OpensAt": replytemplate.String}
	quietFormat = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)
)

// Catalog is every setting, in the order the console shows them.
var Catalog = []Def{
	{Key: WelcomeText, Env: "FIVEC_WELCOME_TEXT", Group: "texts", Kind: Text, Label: "关注欢迎语", Required: true, Vars: nameVar},
	{Key: DefaultReply, Group: "texts", Kind: Text, Label: "默认回复", Vars: nameVar},
	{Key: ServiceQueued, Group: "texts", Kind: Text, Label: "转人工排队提示", Required: true, Vars: aheadVars},
	{Key: ServiceWaiting, Group: "texts", Kind: Text, Label: "排队中提示", Required: true, Vars: aheadVars},
	{Key: ServiceAssigned, Group: "texts", Kind: Text, Label: "客服接入提示", Required: true, Vars: assignVars},
	{Key: ServiceResolved, Group: "texts", Kind: Text, Label: "服务结束提示", Required: true, Vars: noVars},
	{Key: ServiceTimeout, Group: "texts", Kind: Text, Label: "超时结束提示", Required: true, Vars: noVars},
	{Key: ServiceApology, Group: "texts", Kind: Text, Label: "久等致歉", Required: true, Vars: noVars},
	{Key: ServiceSatisfaction, Group: "texts", Kind: Text, Label: "满意度提问", Required: true, Vars: noVars},
	{Key: ServiceThanks, Group: "texts", Kind: Text, Label: "评价感谢", Required: true, Vars: nameVar},
	{Key: ServiceOffHours, Group: "texts", Kind: Text, Label: "非工作时间提示", Required: true, Vars: opensVars},
	{Key: ServiceKeywords, Env: "FIVEC_SERVICE_KEYWORDS", Group: "service", Kind: List, Label: "转人工关键词"},
	{Key: ServiceMenuKey, Env: "FIVEC_SERVICE_MENU_KEY", Group: "service", Kind: Word, Label: "转人工菜单键"},
	{Key: ServiceUnanswered, Env: "FIVEC_SERVICE_UNANSWERED", Group: "service", Kind: Int, Label: "连续未答转人工次数", Max: 1000},
	{Key: HoursMon, Group: "hours", Kind: Ranges, Label: "周一营业时间"},
	{Key: HoursTue, Group: "hours", Kind: Ranges, Label: "周二营业时间"},
	{Key: HoursWed, Group: "hours", Kind: Ranges, Label: "周三营业时间"},
	{Key: HoursThu, Group: "hours", Kind: Ranges, Label: "周四营业时间"},
	{Key: HoursFri, Group: "hours", Kind: Ranges, Label: "周五营业时间"},
	{Key: HoursSat, Group: "hours", Kind: Ranges, Label: "周六营业时间"},
	{Key: HoursSun, Group: "hours", Kind: Ranges, Label: "周日营业时间"},
	{Key: ServiceHolidays, Group: "hours", Kind: Dates, Label: "节假日（不营业）"},
	{Key: SignInPoints, Env: "FIVEC_SIGNIN_POINTS", Group: "points", Kind: Int, Label: "每日签到积分", Max: 1_000_000},
	{Key: SignInBonus, Group: "points", Kind: Int, Label: "连续签到奖励积分", Max: 1_000_000},
	{Key: SignInBonusEvery, Group: "points", Kind: Int, Label: "连续签到奖励间隔天数", Max: 366},
	{Key: ReferralPoints, Env: "FIVEC_REFERRAL_POINTS", Group: "points", Kind: Int, Label: "推荐奖励积分", Max: 1_000_000},
	{Key: ReferralHold, Env: "FIVEC_REFERRAL_HOLD", Group: "points", Kind: Duration, Label: "推荐奖励考察期"},
	{Key: ReferralDailyCap, Env: "FIVEC_REFERRAL_DAILY_CAP", Group: "points", Kind: Int, Label: "每人每日推荐奖励上限", Max: 10_000},
	{Key: PointsLife, Env: "FIVEC_POINTS_LIFE", Group: "points", Kind: Duration, Label: "积分有效期"},
	{Key: DeliveryRate, Env: "FIVEC_DELIVERY_RATE", Group: "delivery", Kind: Int, Label: "每秒发送条数", Min: 1, Max: 10_000},
	{Key: PushCap, Env: "FIVEC_PUSH_CAP", Group: "delivery", Kind: Int, Label: "每位粉丝每周推送上限", Max: 1000},
	{Key: QuietHours, Env: "FIVEC_QUIET_HOURS", Group: "delivery", Kind: Quiet, Label: "免打扰时段"},
}

// ChannelWelcomePrefix starts the key of a channel's welcome text:
// "channel_welcome:<channel id>". A fan who follows through that channel's
// QR code gets it instead of the general welcome text (empty: the general
// one).
const ChannelWelcomePrefix = "channel_welcome:"

// ChannelWelcome is the key of channel id's welcome text.
func ChannelWelcome(id uint64) string { return ChannelWelcomePrefix + strconv.FormatUint(id, 10) }

// ChannelOf returns the channel id of a channel welcome key.
func ChannelOf(key string) (uint64, bool) {
	rest, ok := strings.CutPrefix(key, ChannelWelcomePrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != rest {
		return 0, false
	}
	return id, true
}

// Find returns the setting named key: one of Catalog, or a channel's
// welcome text.
func Find(key string) (Def, bool) {
	for _, d := range Catalog {
		if d.Key == key {
			return d, true
		}
	}
	if id, ok := ChannelOf(key); ok {
		return Def{Key: key, Group: "channels", Kind: Text, Label: fmt.Sprintf("渠道欢迎语（渠道编号 %d）", id), Vars: nameVar}, true
	}
	return Def{}, false
}

// Values are settings by key, written as the console shows them.
type Values map[string]string

// FieldError is one setting refused, with why in Chinese.
type FieldError struct {
	Key string `json:"field"`
	Msg string `json:"message"`
}

// Errors are every refused setting of one save; nothing was saved.
type Errors []FieldError

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, f := range e {
		msgs[i] = f.Msg
	}
	return strings.Join(msgs, "；")
}

// For returns the message for key ("" when it passed).
func (e Errors) For(key string) string {
	for _, f := range e {
		if f.Key == key {
			return f.Msg
		}
	}
	return ""
}

// Check validates and normalises one value of d. The error names the
// setting and says what to write instead, in Chinese.
func (d Def) Check(v string) (string, error) {
	v = tidy(v)
	bad := func(format string, a ...any) (string, error) {
		return "", fmt.Errorf("「%s」%s", d.Label, fmt.Sprintf(format, a...))
	}
	switch d.Kind {
	case Text:
		if v == "" {
			if d.Required {
				return bad("不能为空：粉丝会收到这段文字，请填写内容，或点“恢复默认”。")
			}
			return "", nil
		}
		if n := len([]rune(v)); n > 600 {
			return bad("太长：最多 600 字，现在 %d 字。", n)
		}
		if _, err := replytemplate.Parse(v, d.Vars); err != nil {
			return bad("有误：%s", err)
		}
	case Int:
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			return bad("要填整数，例如 10；现在是“%s”。", v)
		case n < d.Min && d.Min == 0:
			return bad("不能是负数，现在是 %d；填 0 表示关闭。", n)
		case n < d.Min:
			return bad("至少是 %d，现在是 %d。", d.Min, n)
		case d.Max > 0 && n > d.Max:
			return bad("最多是 %d，现在是 %d。", d.Max, n)
		}
		v = strconv.FormatInt(n, 10)
	case Duration:
		t, err := ParseDuration(v)
		switch {
		case err != nil:
			return bad("要填时长，例如 7d（天）、36h（小时）或 30m（分钟）；现在是“%s”。", v)
		case t < 0:
			return bad("不能是负数；填 0 表示不限。")
		}
		v = FormatDuration(t)
	case Quiet:
		if strings.EqualFold(v, "off") || v == "关" {
			v = ""
		}
		v = strings.ReplaceAll(strings.ReplaceAll(v, "：", ":"), " ", "")
		v = strings.ReplaceAll(v, "－", "-")
		if v != "" && !quietFormat.MatchString(v) {
			return bad("格式不对：要写成 22:00-08:00（开始-结束，24 小时制），留空表示不设免打扰；现在是“%s”。", v)
		}
		if from, to, _ := strings.Cut(v, "-"); v != "" && from == to {
			return bad("开始和结束不能相同（%s）；不需要免打扰时请留空。", from)
		}
	case List:
		var words []string
		for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '\n' }) {
			if w = strings.TrimSpace(w); w != "" && !contains(words, w) {
				words = append(words, w)
			}
		}
		v = strings.Join(words, ",")
	case Ranges:
		nv, err := checkSpans(v)
		if err != nil {
			return bad("%s。", err)
		}
		v = nv
	case Dates:
		nv, err := checkDates(v)
		if err != nil {
			return bad("%s。", err)
		}
		v = nv
	case Word:
		if strings.ContainsAny(v, " \t\n") || len(v) > 128 {
			return bad("只能是一个不含空格的键（最多 128 个字符），例如 CONTACT_AGENT。")
		}
	}
	return v, nil
}

func contains(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// Validate checks every value of changes (keys of Catalog) and returns
// them normalised, or Errors naming each refused setting.
func Validate(changes Values) (Values, error) {
	out := Values{}
	var errs Errors
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	sortKeys(keys)
	for _, k := range keys {
		d, ok := Find(k)
		if !ok {
			errs = append(errs, FieldError{Key: k, Msg: fmt.Sprintf("没有名为“%s”的设置；可用的设置见 docs/settings.md。", k)})
			continue
		}
		nv, err := d.Check(changes[k])
		if err != nil {
			errs = append(errs, FieldError{Key: k, Msg: err.Error()})
			continue
		}
		out[k] = nv
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// sortKeys puts keys in the page's order.
func sortKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		return order(keys[i]) < order(keys[j]) || order(keys[i]) == order(keys[j]) && keys[i] < keys[j]
	})
}

// order is where key comes on the page: Catalog's order, then the rest.
func order(key string) int {
	for i, d := range Catalog {
		if d.Key == key {
			return i
		}
	}
	return len(Catalog)
}

// ParseDuration reads "7d", "1d12h", "36h" or "30m" ("0": zero).
func ParseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "0" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.IndexByte(v, 'd'); i >= 0 {
		n, err := strconv.ParseInt(v[:i], 10, 32)
		if err != nil {
			return 0, err
		}
		days = time.Duration(n) * 24 * time.Hour
		if v = v[i+1:]; v == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if days < 0 {
		return days - d, nil
	}
	return days + d, nil
}

// FormatDuration writes d as ParseDuration reads it, in whole days where
// it can ("7d", "36h", "30m", "0").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	day := 24 * time.Hour
	out := ""
	if d >= day {
		out = strconv.FormatInt(int64(d/day), 10) + "d"
		d %= day
		if d == 0 {
			return out
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return out + s
}
