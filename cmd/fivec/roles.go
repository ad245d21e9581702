package main

import (
	"strings"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/roles"
)

// roleSettings picks from cfg the values the roles use.
func roleSettings(cfg config.Config, publicURL string) roles.Settings {
	client := roles.DefaultClientRules
	client.SignIn.Base = int64(cfg.SignInPoints)
	client.ReferralPoints = int64(cfg.ReferralPoints)
	client.ReferralHold = cfg.ReferralHold
	client.ReferralDailyCap = cfg.ReferralDailyCap
	client.PointsLife = cfg.PointsLife
	client.ProfileLinkLife = cfg.ProfileLinkLife
	client.LoyalAfterPoints = int64(cfg.LoyalAfterPoints)
	client.LoyalAfterDays = cfg.LoyalAfterDays
	client.KeyPersonReferrals = int64(cfg.KeyPersonAfter)
	return roles.Settings{
		Loc: cfg.Location, WelcomeText: cfg.WelcomeText, PublicURL: publicURL, Client: client,
		Service: roles.ServiceSettings{
			Keywords: strings.Split(cfg.ServiceKeywords, ","), MenuKey: cfg.ServiceMenuKey,
			UnansweredLimit: cfg.ServiceUnanswered, Policy: cfg.ServicePolicy, WeChatKf: cfg.ServiceWeChatKf,
			AskSatisfaction: cfg.ServiceSatisfaction, TemplateID: cfg.ServiceTemplateID, TemplateField: cfg.ServiceTemplateKey,
		},
	}
}
