package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/settings"
)

func TestCheckRefusesWithTheFieldNamed(t *testing.T) {
	tests := []struct {
		key, in, want, err string
	}{
		{settings.WelcomeText, "  你好 {{.Name}}  ", "你好 {{.Name}}", ""},
		{settings.WelcomeText, "", "", "「关注欢迎语」不能为空"},
		{settings.WelcomeText, "你好 {{.Nickname}}", "", "「关注欢迎语」有误"},
		{settings.ServiceResolved, "再见 {{.Ahead}}", "", "不允许使用 {{.Ahead}}"},
		{settings.ServiceQueued, "前面还有 {{.Ahead}} 位", "前面还有 {{.Ahead}} 位", ""},
		{settings.ServiceQueued, "前面还有 {{.Ahead", "", "「转人工排队提示」有误"},
		{settings.DefaultReply, "", "", ""},
		{settings.SignInPoints, "-5", "", "「每日签到积分」不能是负数"},
		{settings.SignInPoints, "十", "", "要填整数"},
		{settings.DeliveryRate, "0", "", "「每秒发送条数」至少是 1"},
		{settings.ReferralHold, "7d", "7d", ""},
		{settings.ReferralHold, "168h", "7d", ""},
		{settings.ReferralHold, "1d12h", "1d12h", ""},
		{settings.ReferralHold, "-1d", "", "不能是负数"},
		{settings.PointsLife, "一年", "", "要填时长"},
		{settings.QuietHours, "22:00-08:00", "22:00-08:00", ""},
		{settings.QuietHours, "22：00－08：00", "22:00-08:00", ""},
		{settings.QuietHours, "off", "", ""},
		{settings.QuietHours, "25:00-08:00", "", "「免打扰时段」格式不对"},
		{settings.QuietHours, "08:00-08:00", "", "开始和结束不能相同"},
		{settings.ServiceKeywords, "人工，客服, 人工,,", "人工,客服", ""},
		{settings.ServiceMenuKey, "CONTACT AGENT", "", "不含空格"},
	}
	for _, tt := range tests {
		d, ok := settings.Find(tt.key)
		if !ok {
			t.Fatalf("no setting %s", tt.key)
		}
		got, err := d.Check(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%s %q: got %q, %v; want %q", tt.key, tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s %q: err %v, want it to say %q", tt.key, tt.in, err, tt.err)
		}
	}
}

func TestPreviewFillsTheSampleFan(t *testing.T) {
	got, err := settings.Preview(settings.ServiceAssigned, "{{.Name}}您好，客服 {{.Agent}} 为您服务")
	if err != nil || got != "张小明您好，客服 客服小王 为您服务" {
		t.Fatalf("preview %q, %v", got, err)
	}
	if _, err := settings.Preview(settings.PushCap, "3"); err == nil {
		t.Fatal("a number has no preview")
	}
	var errs settings.Errors
	if _, err := settings.Preview(settings.WelcomeText, "{{.Points}}"); !errors.As(err, &errs) || errs.For(settings.WelcomeText) == "" {
		t.Fatalf("an unknown variable: %v", err)
	}
}

func defaults(t *testing.T) settings.Values {
	t.Helper()
	v, err := settings.Validate(settings.Values{
		settings.WelcomeText: "感谢关注", settings.DefaultReply: "",
		settings.ServiceQueued: "前面 {{.Ahead}} 位", settings.ServiceWaiting: "排队 {{.Ahead}}", settings.ServiceAssigned: "客服 {{.Agent}}",
		settings.ServiceResolved: "结束", settings.ServiceTimeout: "超时", settings.ServiceApology: "抱歉",
		settings.ServiceSatisfaction: "打分", settings.ServiceThanks: "谢谢", settings.ServiceOffHours: "{{.OpensAt}} 上班",
		settings.ServiceKeywords: "人工", settings.ServiceMenuKey: "CONTACT_AGENT", settings.ServiceUnanswered: "3",
		settings.SignInPoints: "10", settings.SignInBonus: "50", settings.SignInBonusEvery: "7",
		settings.ReferralPoints: "100", settings.ReferralHold: "168h", settings.ReferralDailyCap: "10", settings.PointsLife: "8760h",
		settings.DeliveryRate: "20", settings.PushCap: "5", settings.QuietHours: "22:00-08:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLiveSaveAllOrNothingAndOtherProcess: a save with one bad value keeps
// nothing; a good one applies at once in the saving process and reaches a
// second process (its own store on the same database) at its next
// ReloadIfChanged; a reset returns to the default everywhere.
func TestLiveSaveAllOrNothingAndOtherProcess(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			a := &settings.Live{Store: s1, Defaults: defaults(t)}
			b := &settings.Live{Store: s2, Defaults: defaults(t)}
			for _, l := range []*settings.Live{a, b} {
				if err := l.Reload(ctx); err != nil {
					t.Fatal(err)
				}
			}
			actor := models.AuditEntry{StaffID: 1, Username: "admin"}
			err := a.Save(ctx, settings.Values{settings.WelcomeText: "新欢迎语", settings.QuietHours: "23:00-23:00", settings.PushCap: "-1"}, nil, actor)
			var errs settings.Errors
			if !errors.As(err, &errs) || len(errs) != 2 || errs.For(settings.QuietHours) == "" || errs.For(settings.PushCap) == "" {
				t.Fatalf("bad save: %v", err)
			}
			if saved, _, _ := s1.ConsoleSettings(ctx); len(saved) != 0 {
				t.Fatalf("a refused save left %v", saved)
			}
			if got := a.Current().Text(settings.WelcomeText); got != "感谢关注" {
				t.Fatalf("after a refused save the welcome is %q", got)
			}

			// The default's own value is not stored: it keeps following the env.
			if err := a.Save(ctx, settings.Values{settings.WelcomeText: "新欢迎语 {{.Name}}", settings.PushCap: "5", settings.ReferralHold: "3d"}, nil, actor); err != nil {
				t.Fatal(err)
			}
			if got := a.Current(); got.Text(settings.WelcomeText) != "新欢迎语 {{.Name}}" || got.Duration(settings.ReferralHold) != 72*time.Hour || got.Saved(settings.PushCap) {
				t.Fatalf("the saving process has %q, %v, push cap saved %v", got.Text(settings.WelcomeText), got.Duration(settings.ReferralHold), got.Saved(settings.PushCap))
			}
			if got := b.Current().Text(settings.WelcomeText); got != "感谢关注" {
				t.Fatalf("the other process changed before reloading: %q", got)
			}
			if err := b.ReloadIfChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if got := b.Current().Text(settings.WelcomeText); got != "新欢迎语 {{.Name}}" {
				t.Fatalf("the other process has %q after reloading", got)
			}

			if err := b.Save(ctx, nil, []string{settings.WelcomeText}, actor); err != nil {
				t.Fatal(err)
			}
			if err := a.ReloadIfChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if got := a.Current(); got.Text(settings.WelcomeText) != "感谢关注" || got.Saved(settings.WelcomeText) || got.Text(settings.ReferralHold) != "3d" {
				t.Fatalf("after the reset: %q (saved %v), hold %q", got.Text(settings.WelcomeText), got.Saved(settings.WelcomeText), got.Text(settings.ReferralHold))
			}
			if err := a.Save(ctx, nil, []string{"no_such_setting"}, actor); err == nil {
				t.Fatal("reset of an unknown setting accepted")
			}
		})
	}
}

// TestDefaultTheConsoleWouldRefuse: an environment value config accepts
// but the console refuses (quiet hours 00:00-00:00) is kept as the default
// with a warning naming the variable, and does not block saving the other
// settings of the form; changing it to a bad value is still refused.
func TestDefaultTheConsoleWouldRefuse(t *testing.T) {
	raw := defaults(t)
	raw[settings.QuietHours] = "00:00-00:00"
	d, warnings := settings.NormalizeDefaults(raw)
	if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "FIVEC_QUIET_HOURS") || d[settings.QuietHours] != "00:00-00:00" ||
		d[settings.ReferralHold] != "7d" {
		t.Fatalf("defaults %v, warnings %v", d, warnings)
	}
	s := modelstest.MustOpen(t, "sqlite")
	ctx := context.Background()
	l := &settings.Live{Store: s, Defaults: d}
	form := settings.Values{}
	for _, def := range settings.Catalog {
		form[def.Key] = l.Current().Text(def.Key)
	}
	form[settings.PushCap] = "1"
	form[settings.WelcomeText] = "感谢关注\r\n" // as a browser posts it: unchanged
	if err := l.Save(ctx, form, nil, models.AuditEntry{Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	if saved, _, _ := s.ConsoleSettings(ctx); len(saved) != 1 || saved[settings.PushCap] != "1" {
		t.Fatalf("saved %v, want only the push cap", saved)
	}
	form[settings.QuietHours] = "24:00-06:00"
	var errs settings.Errors
	if err := l.Save(ctx, form, nil, models.AuditEntry{}); !errors.As(err, &errs) || errs.For(settings.QuietHours) == "" {
		t.Fatalf("a changed bad value: %v", err)
	}
}

func TestChannelWelcomeKeys(t *testing.T) {
	for key, want := range map[string]uint64{"channel_welcome:7": 7, "channel_welcome:07": 0, "channel_welcome:": 0,
		"channel_welcome:0": 0, "channel_welcome:x": 0, "welcome_text": 0} {
		id, ok := settings.ChannelOf(key)
		if id != want || ok != (want != 0) {
			t.Errorf("%s: %d %v, want %d", key, id, ok, want)
		}
	}
	d, ok := settings.Find(settings.ChannelWelcome(7))
	if !ok || d.Kind != settings.Text || d.Required || d.Group != "channels" {
		t.Fatalf("channel welcome def %+v", d)
	}
	if _, err := d.Check("{{.Agent}}"); err == nil || !strings.Contains(err.Error(), "「渠道欢迎语（渠道编号 7）」") {
		t.Fatalf("a channel text with another text's variable: %v", err)
	}
}
