package roles

import (
	"strconv"
	"strings"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/settings"
)

// SettingsFrom picks from cfg (which has passed Validate) the values the
// roles use; publicURL is where fans open fivec's pages ("" where no page is
// linked, e.g. the rules command). cmd/fivec and the benchmarks build their
// roles with it, so the mapping cannot drift; NewRoles itself takes only
// Settings, and tests write Settings by hand.
func SettingsFrom(cfg config.Config, publicURL string) Settings {
	client := DefaultClientRules
	client.SignIn.Base = int64(cfg.SignInPoints)
	client.ReferralPoints = int64(cfg.ReferralPoints)
	client.ReferralHold = cfg.ReferralHold
	client.ReferralDailyCap = cfg.ReferralDailyCap
	client.PointsLife = cfg.PointsLife
	client.ProfileLinkLife = cfg.ProfileLinkLife
	client.LoyalAfterPoints = int64(cfg.LoyalAfterPoints)
	client.LoyalAfterDays = cfg.LoyalAfterDays
	client.KeyPersonReferrals = int64(cfg.KeyPersonAfter)
	return Settings{
		Loc: cfg.Location, WelcomeText: cfg.WelcomeText, PublicURL: publicURL, Client: client,
		Service: ServiceSettings{
			Keywords: strings.Split(cfg.ServiceKeywords, ","), MenuKey: cfg.ServiceMenuKey,
			UnansweredLimit: cfg.ServiceUnanswered, Policy: cfg.ServicePolicy, WeChatKf: cfg.ServiceWeChatKf,
			AskSatisfaction: cfg.ServiceSatisfaction, TemplateID: cfg.ServiceTemplateID, TemplateField: cfg.ServiceTemplateKey,
		},
	}
}

// SettingDefaults are the defaults of the console's settings: the
// environment's values (cfg) and, for settings without a variable, the
// built-in ones. A value saved in the console wins over them. The
// warnings name values config accepts but the console would refuse (kept
// as they are).
func SettingDefaults(cfg config.Config) (settings.Values, []error) {
	texts, rules := DefaultServiceTexts, DefaultClientRules
	quiet := cfg.QuietHours
	if quiet == "" {
		quiet = "off"
	}
	return settings.NormalizeDefaults(settings.Values{
		settings.WelcomeText: cfg.WelcomeText, settings.DefaultReply: "",
		settings.ServiceQueued: texts.Queued, settings.ServiceWaiting: texts.Waiting, settings.ServiceAssigned: texts.Assigned,
		settings.ServiceResolved: texts.Resolved, settings.ServiceTimeout: texts.Timeout, settings.ServiceApology: texts.Apology,
		settings.ServiceSatisfaction: texts.Satisfaction, settings.ServiceThanks: texts.Thanks, settings.ServiceOffHours: texts.OffHours,
		settings.ServiceKeywords: cfg.ServiceKeywords, settings.ServiceMenuKey: cfg.ServiceMenuKey,
		settings.ServiceUnanswered: strconv.Itoa(cfg.ServiceUnanswered),
		settings.SignInPoints:      strconv.Itoa(cfg.SignInPoints), settings.SignInBonus: strconv.FormatInt(rules.SignIn.Bonus, 10),
		settings.SignInBonusEvery: strconv.Itoa(rules.SignIn.BonusEvery),
		settings.ReferralPoints:   strconv.Itoa(cfg.ReferralPoints), settings.ReferralHold: settings.FormatDuration(cfg.ReferralHold),
		settings.ReferralDailyCap: strconv.Itoa(cfg.ReferralDailyCap), settings.PointsLife: settings.FormatDuration(cfg.PointsLife),
		settings.DeliveryRate: strconv.Itoa(cfg.DeliveryRate), settings.PushCap: strconv.Itoa(cfg.PushCap), settings.QuietHours: quiet,
	})
}
