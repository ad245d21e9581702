package roles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/templates"
)

// ClientRules are the numbers behind growth and points.
type ClientRules struct {
	SignIn models.SignInRules
	// ReferralPoints are paid to a referrer once the friend has stayed
	// ReferralHold; at most ReferralDailyCap rewards per referrer a day.
	ReferralPoints   int64
	ReferralHold     time.Duration
	ReferralDailyCap int
	// KeyPersonReferrals makes a member a key person.
	KeyPersonReferrals int64
	// LoyalAfterPoints and LoyalAfterDays move a member to loyal.
	LoyalAfterPoints int64
	LoyalAfterDays   int
	// PointsLife is how long earned points last (0: forever).
	PointsLife time.Duration
	// ProfileLinkLife is how long a profile-form link works (0:
	// models.DefaultProfileLinkLife); asking again gives a new one.
	ProfileLinkLife time.Duration
}

// rules are the points and growth rules in force: Rules, with the amounts
// saved in the console over them.
func (c *Client) rules() ClientRules {
	r := c.Rules
	if c.Live == nil {
		return r
	}
	v := c.Live.Current()
	r.SignIn.Base = v.Int(settings.SignInPoints)
	r.SignIn.Bonus = v.Int(settings.SignInBonus)
	r.SignIn.BonusEvery = int(v.Int(settings.SignInBonusEvery))
	r.ReferralPoints = v.Int(settings.ReferralPoints)
	r.ReferralHold = v.Duration(settings.ReferralHold)
	r.ReferralDailyCap = int(v.Int(settings.ReferralDailyCap))
	r.PointsLife = v.Duration(settings.PointsLife)
	return r
}

// DefaultClientRules are fivec's defaults.
var DefaultClientRules = ClientRules{
	SignIn:         models.SignInRules{Base: 10, Bonus: 50, BonusEvery: 7},
	ReferralPoints: 100, ReferralHold: 7 * 24 * time.Hour, ReferralDailyCap: 10,
	KeyPersonReferrals: 10, LoyalAfterPoints: 1000, LoyalAfterDays: 180,
	PointsLife: 365 * 24 * time.Hour,
}

// Client (新客户发展) grows the account: it attributes follows and scans to
// channel QR codes, links referrals, hands out welcome gifts, runs the daily
// sign-in, answers points questions, and moves members up the interaction
// ladder and the lifecycle as they act.
type Client struct {
	Store *models.Store
	Log   *slog.Logger
	Loc   *time.Location
	Now   func() time.Time
	Rules ClientRules
	// Referrals issues a member's personal QR code (nil: code only).
	Referrals ReferralQR
	// PublicURL is where fans open fivec's pages (the profile form).
	PublicURL string
	// Live, when set, holds the points amounts in force (saved in the
	// console) over those of Rules.
	Live *settings.Live
	// Share are the share-to-earn rules (client_share.go).
	Share ShareRules

	// Invites issues the referral QR code shown on "my invitations" (nil:
	// the code only).
	Invites InviteQRIssuer
	inviteState

	topicsMu     sync.Mutex
	topics       []models.Topic // running topics, refreshed every few seconds
	topicsLoaded time.Time
}

// ReferralQR makes a temporary QR code for a scene and returns its image URL.
type ReferralQR interface {
	ReferralQRCode(ctx context.Context, scene string) (imageURL string, err error)
}

// Client keywords and menu keys.
var (
	signInWords      = []string{"签到", "打卡", "sign in", "signin"}
	pointsWords      = []string{"积分", "我的积分", "points"}
	leaderboardWords = []string{"排行榜", "积分排行", "leaderboard"}
	referralWords    = []string{"推荐码", "邀请好友", "我的推荐码", "invite"}
	profileWords     = []string{"资料", "完善资料", "个人资料", "profile"}
	redeemWord       = "兑换"
)

// Menu keys the Client role answers.
const (
	MenuSignIn      = "SIGN_IN"
	MenuPoints      = "MY_POINTS"
	MenuLeaderboard = "LEADERBOARD"
	MenuReferral    = "MY_REFERRAL"
	MenuProfile     = "MY_PROFILE"
	MenuRedeem      = "REDEEM"
)

// Name implements Role.
func (*Client) Name() string { return "client" }

// Handle implements Role.
func (c *Client) Handle(ctx context.Context, t *Turn) error {
	m := t.Msg
	if t.Member == nil {
		return nil
	}
	switch {
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventSubscribe:
		return c.followed(ctx, t, strings.TrimPrefix(m.EventKey, "qrscene_"))
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventScan:
		return c.scanned(ctx, t, m.EventKey)
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventClick:
		return c.command(ctx, t, menuCommand(m.EventKey))
	case m.MsgType == message.MsgTypeText:
		text := normalize(m.Content)
		if !t.Done {
			if done, err := c.topic(ctx, t, m.Content); done || err != nil {
				return err
			}
		}
		if below(t.Member.Level, models.LevelCurious) { // checked in memory: no write per message
			if _, err := c.Store.RaiseLevel(ctx, t.Member.ID, models.LevelCurious, models.SystemReason(models.ReasonAsked, "")); err != nil {
				return err
			}
		}
		return c.command(ctx, t, wordCommand(text))
	}
	return nil
}

func menuCommand(key string) string {
	switch key {
	case MenuSignIn:
		return "signin"
	case MenuPoints:
		return "points"
	case MenuLeaderboard:
		return "leaderboard"
	case MenuReferral:
		return "referral"
	case MenuProfile:
		return "profile"
	case MenuRedeem:
		return "redeem"
	}
	return ""
}

func wordCommand(text string) string {
	if text == redeemWord {
		return "redeem"
	}
	if rest, ok := strings.CutPrefix(text, redeemWord); ok && strings.TrimSpace(rest) != "" {
		return "redeem:" + strings.TrimSpace(rest)
	}
	for cmd, words := range map[string][]string{"signin": signInWords, "points": pointsWords, "leaderboard": leaderboardWords, "referral": referralWords, "profile": profileWords} {
		for _, w := range words {
			if text == w {
				return cmd
			}
		}
	}
	return ""
}

func (c *Client) command(ctx context.Context, t *Turn, cmd string) error {
	if cmd == "" || t.Done {
		return nil
	}
	var reply string
	var err error
	switch cmd {
	case "signin":
		reply, err = c.signIn(ctx, t.Member)
	case "points":
		reply, err = c.points(ctx, t.Member)
	case "leaderboard":
		reply, err = c.leaderboard(ctx)
	case "referral":
		reply, err = c.referral(ctx, t.Member)
	case "profile":
		reply, err = c.profileLink(ctx, t.Member)
	case "redeem":
		reply, err = c.catalogue(ctx)
	default:
		if id, ok := strings.CutPrefix(cmd, "redeem:"); ok {
			reply, err = c.redeem(ctx, t, id)
		}
	}
	if err != nil {
		return err
	}
	t.Unanswered = false
	t.Reply(models.TextReply(reply))
	t.Done = true
	return nil
}

func (c *Client) signIn(ctx context.Context, m *models.Member) (string, error) {
	res, err := c.SignIn(ctx, m)
	if err != nil {
		return "", err
	}
	if res.Already {
		return fmt.Sprintf("今天已经签到过啦，已连续签到 %d 天，当前积分 %d。明天再来！", res.Streak, res.Balance), nil
	}
	return fmt.Sprintf("签到成功！+%d 积分，已连续签到 %d 天，当前积分 %d。", res.Points, res.Streak, res.Balance), nil
}

// SignIn is the daily sign-in (签到), whether the fan replied "签到",
// tapped the menu or pressed the button in the member centre: one check-in
// and one ledger entry a day (idempotency key signin:<member>:<day>), the
// level and stage moves that follow it.
func (c *Client) SignIn(ctx context.Context, m *models.Member) (models.SignInResult, error) {
	live := c.rules()
	rules := live.SignIn
	rules.Life = live.PointsLife
	res, err := c.Store.CheckIn(ctx, m.ID, c.Now().In(c.Loc), rules)
	if err != nil || res.Already {
		return res, err
	}
	if _, err := c.Store.RaiseLevel(ctx, m.ID, models.LevelResponder, models.SystemReason(models.ReasonSignIn, "")); err != nil {
		return res, err
	}
	return res, c.checkLoyal(ctx, m)
}

func (c *Client) points(ctx context.Context, m *models.Member) (string, error) {
	bal, err := c.Store.Balance(ctx, m.ID)
	if err != nil {
		return "", err
	}
	hist, err := c.Store.PointsHistory(ctx, m.ID, 5)
	if err != nil {
		return "", err
	}
	streak, err := c.Store.Streak(ctx, m.ID, c.Now().In(c.Loc))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "您当前有 %d 积分。", bal)
	if streak > 0 {
		fmt.Fprintf(&b, "已连续签到 %d 天。", streak)
	}
	if len(hist) > 0 {
		b.WriteString("\n最近记录：")
		zh := templates.Reason(templates.LangZH) // fans read Chinese
		for _, e := range hist {
			reason, _ := e.ReasonText(zh)
			fmt.Fprintf(&b, "\n%s %+d %s", e.CreatedAt.In(c.Loc).Format("01-02"), e.Delta, reason)
		}
	}
	return b.String(), nil
}

func (c *Client) leaderboard(ctx context.Context) (string, error) {
	rows, err := c.Leaderboard(ctx, 10)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "本周积分榜还是空的，回复“签到”抢第一！", nil
	}
	var b strings.Builder
	b.WriteString("本周积分榜：")
	for i, r := range rows {
		fmt.Fprintf(&b, "\n%d. %s  %d 分", i+1, MaskOpenID(r.OpenID), r.Points)
	}
	return b.String(), nil
}

func (c *Client) referral(ctx context.Context, m *models.Member) (string, error) {
	code, err := c.Store.ReferralCode(ctx, m.ID)
	if err != nil {
		return "", err
	}
	r := c.rules()
	text := fmt.Sprintf("您的专属推荐码：%s\n好友通过您的二维码关注并保持关注 %d 天，您将获得 %d 积分。", code, int(r.ReferralHold.Hours()/24), r.ReferralPoints)
	if c.Referrals != nil {
		url, err := c.Referrals.ReferralQRCode(ctx, models.ReferralScenePrefix+code)
		if err != nil {
			c.Log.Warn("referral QR code", "err", err)
			return text, nil
		}
		text += "\n二维码：" + url
	}
	return text, nil
}

// followed attributes a follow: a referral code links the friend; a channel
// records the follow and, on a first follow, gives its welcome gifts.
func (c *Client) followed(ctx context.Context, t *Turn, scene string) error {
	m := t.Member
	// A fan who opened a tracked link before following: the chain's report
	// counts the follow (the referral itself comes with the sharer's scene).
	if err := c.Store.MarkShareFollow(ctx, m.OpenID, m.ID); err != nil {
		return err
	}
	if strings.HasPrefix(scene, models.ReferralScenePrefix) {
		referrer, err := c.Store.MemberByReferralCode(ctx, strings.TrimPrefix(scene, models.ReferralScenePrefix))
		if err != nil || referrer == nil {
			return err
		}
		r := c.rules()
		linked, err := c.Store.LinkReferral(ctx, m.ID, referrer.ID, r.ReferralPoints, r.ReferralHold)
		if err != nil || !linked {
			return err
		}
		if _, err := c.Store.RaiseLevel(ctx, referrer.ID, models.LevelSpreader, models.SystemReason(models.ReasonReferred, "")); err != nil {
			return err
		}
		n, err := c.Store.CountReferrals(ctx, referrer.ID)
		if err == nil && c.Rules.KeyPersonReferrals > 0 && n >= c.Rules.KeyPersonReferrals {
			_, err = c.Store.RaiseLevel(ctx, referrer.ID, models.LevelKeyPerson, models.SystemReason(models.ReasonReferrals, fmt.Sprint(n)))
		}
		return err
	}
	if scene == "" {
		return nil
	}
	ch, err := c.Store.ChannelByScene(ctx, scene)
	if err != nil || ch == nil {
		return err
	}
	if err := c.Store.RecordChannelEvent(ctx, ch.ID, m.ID, "follow"); err != nil {
		return err
	}
	if m.Refollow() {
		return nil // gifts are for first follows
	}
	for _, tag := range ch.Tags() {
		if err := c.Store.TagMember(ctx, m.ID, tag); err != nil {
			return err
		}
	}
	if ch.WelcomePoints > 0 {
		if _, _, err := c.Store.Earn(ctx, m.ID, ch.WelcomePoints, models.SourceWelcome, models.SystemReason(models.ReasonWelcome, ch.Name), "welcome:"+fmt.Sprint(m.ID), c.expiry()); err != nil {
			return err
		}
	}
	if ch.WelcomeGiftID != nil {
		r, err := c.Store.GrantGift(ctx, m.ID, *ch.WelcomeGiftID, "welcome-gift:"+fmt.Sprint(m.ID))
		if models.ErrorCode(err) == models.ECONFLICT {
			c.Log.Warn("welcome gift not given", "channel", ch.Name, "err", err)
			return nil
		}
		if err != nil {
			return err
		}
		// Not an answer competing with the welcome: it follows it.
		text := fmt.Sprintf("关注礼：%s，兑换码 %s", r.GiftName, r.Code)
		if r.ValidUntil != nil {
			text += "，有效期至 " + r.ValidUntil.In(c.Loc).Format("2006-01-02")
		}
		t.Reply(models.TextReply(text))
	}
	return nil
}

func (c *Client) scanned(ctx context.Context, t *Turn, scene string) error {
	ch, err := c.Store.ChannelByScene(ctx, scene)
	if err != nil || ch == nil {
		return err
	}
	return c.Store.RecordChannelEvent(ctx, ch.ID, t.Member.ID, "scan")
}

// checkLoyal moves a member to loyal after enough points or time.
func (c *Client) checkLoyal(ctx context.Context, m *models.Member) error {
	if m.Stage == models.StageLoyal {
		return nil
	}
	if c.Rules.LoyalAfterDays > 0 && m.FirstSubscribedAt != nil &&
		c.Now().Sub(*m.FirstSubscribedAt) >= time.Duration(c.Rules.LoyalAfterDays)*24*time.Hour && m.Stage == models.StageNew {
		_, err := c.Store.AdvanceStage(ctx, m.ID, models.StageLoyal, models.SystemReason(models.ReasonActiveDays, fmt.Sprint(c.Rules.LoyalAfterDays)))
		return err
	}
	if c.Rules.LoyalAfterPoints > 0 {
		earned, err := c.Store.TotalEarned(ctx, m.ID)
		if err != nil {
			return err
		}
		if earned >= c.Rules.LoyalAfterPoints {
			_, err = c.Store.AdvanceStage(ctx, m.ID, models.StageLoyal, models.SystemReason(models.ReasonEarnedPoints, fmt.Sprint(earned)))
			return err
		}
	}
	return nil
}

func (c *Client) expiry() *time.Time {
	life := c.rules().PointsLife
	if life <= 0 {
		return nil
	}
	at := c.Now().Add(life)
	return &at
}

func below(level, than string) bool {
	return slices.Index(models.Levels, level) < slices.Index(models.Levels, than)
}

// topic collects an answer to a running topic ("<keyword> <answer>").
func (c *Client) topic(ctx context.Context, t *Turn, text string) (bool, error) {
	tp, err := c.activeTopic(ctx, strings.TrimSpace(text))
	if err != nil || tp == nil {
		return false, err
	}
	answer := strings.TrimSpace(strings.TrimSpace(text)[len(tp.Keyword):])
	t.Unanswered = false
	t.Done = true
	if answer == "" {
		prompt := tp.Prompt
		if prompt == "" {
			prompt = fmt.Sprintf("话题「%s」进行中！回复“%s + 您的想法”参与。", tp.Title, tp.Keyword)
		}
		t.Reply(models.TextReply(prompt))
		return true, nil
	}
	res, err := c.EnterTopic(ctx, t.Member, tp, answer)
	if errors.Is(err, ErrTopicClosed) {
		t.Reply(models.TextReply(fmt.Sprintf("话题「%s」已经结束，感谢关注！", tp.Title)))
		return true, nil
	}
	if err != nil {
		return true, err
	}
	reply := fmt.Sprintf("感谢参与话题「%s」！", tp.Title)
	if res.Paid > 0 {
		reply += fmt.Sprintf("+%d 积分。", res.Paid)
	}
	t.Reply(models.TextReply(reply))
	return true, nil
}

func (c *Client) catalogue(ctx context.Context) (string, error) {
	gifts, err := c.Store.ListGifts(ctx, true)
	if err != nil {
		return "", err
	}
	if len(gifts) == 0 {
		return "积分商城暂无可兑换的礼品，敬请期待。", nil
	}
	var b strings.Builder
	b.WriteString("可兑换礼品（回复“兑换 编号”）：")
	for _, g := range gifts {
		stock := fmt.Sprintf("剩 %d", g.Stock)
		if g.Stock == 0 {
			stock = "已兑完"
		}
		fmt.Fprintf(&b, "\n%d. %s — %d 积分（%s）", g.ID, g.Name, g.Cost, stock)
	}
	return b.String(), nil
}

func (c *Client) redeem(ctx context.Context, t *Turn, idText string) (string, error) {
	var id uint64
	if _, err := fmt.Sscan(idText, &id); err != nil || id == 0 {
		return "请回复“兑换 编号”，例如：兑换 1。回复“兑换”查看礼品。", nil
	}
	// One redemption per message: a retried message cannot redeem twice.
	res, err := c.Redeem(ctx, t.Member, id, fmt.Sprintf("msg:%d", t.Inbound.ID))
	if err != nil {
		return "", err
	}
	if res.Refused != "" {
		return "兑换失败：" + res.Refused, nil
	}
	r := res.Redemption
	text := fmt.Sprintf("兑换成功：%s，扣除 %d 积分。兑换码：%s", r.GiftName, r.Points, r.Code)
	if r.ValidUntil != nil {
		text += "，有效期至 " + r.ValidUntil.In(c.Loc).Format("2006-01-02")
	}
	return text, nil
}

func (c *Client) profileLink(ctx context.Context, m *models.Member) (string, error) {
	tok, err := c.Store.ProfileLink(ctx, m.ID, c.Rules.ProfileLinkLife)
	if err != nil {
		return "", err
	}
	return "完善个人资料，获得更贴心的服务：" + strings.TrimRight(c.PublicURL, "/") + "/profile/" + tok, nil
}

// topicRefresh bounds how stale the cached list of running topics may be;
// it keeps a query off every text message.
const topicRefresh = 3 * time.Second

func (c *Client) activeTopic(ctx context.Context, text string) (*models.Topic, error) {
	c.topicsMu.Lock()
	defer c.topicsMu.Unlock()
	now := c.Now()
	if now.Sub(c.topicsLoaded) > topicRefresh || now.Before(c.topicsLoaded) {
		ts, err := c.Store.RunningTopics(ctx, now)
		if err != nil {
			return nil, err
		}
		c.topics, c.topicsLoaded = ts, now
	}
	lower := strings.ToLower(text)
	for i := range c.topics {
		t := &c.topics[i]
		if !now.Before(t.StartsAt) && now.Before(t.EndsAt) && strings.HasPrefix(lower, strings.ToLower(t.Keyword)) {
			return t, nil
		}
	}
	return nil, nil
}
