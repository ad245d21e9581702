package roles

import (
	"strings"

	"github.com/fivec/fivec/config"
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
