package roles_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/roles"
)

// TestSettingsFrom: every configured value the roles use reaches its place
// in Settings, and the client rules not configured keep their defaults.
func TestSettingsFrom(t *testing.T) {
	cfg := config.Defaults()
	cfg.Location = time.FixedZone("UTC+9", 9*3600)
	cfg.WelcomeText = "欢迎"
	cfg.ServiceKeywords, cfg.ServiceMenuKey, cfg.ServiceUnanswered = "人工,客服", "HUMAN", 7
	cfg.ServicePolicy, cfg.ServiceWeChatKf, cfg.ServiceSatisfaction = "round_robin", true, false
	cfg.ServiceTemplateID, cfg.ServiceTemplateKey = "tmpl-1", "thing2"
	cfg.SignInPoints, cfg.ReferralPoints, cfg.ReferralHold, cfg.ReferralDailyCap = 11, 101, 3*time.Hour, 12
	cfg.PointsLife, cfg.ProfileLinkLife = 100*24*time.Hour, 2*time.Hour
	cfg.LoyalAfterPoints, cfg.LoyalAfterDays, cfg.KeyPersonAfter = 900, 90, 4

	got := roles.SettingsFrom(cfg, "https://fivec.example.com")
	client := roles.DefaultClientRules
	client.SignIn.Base, client.ReferralPoints, client.ReferralHold, client.ReferralDailyCap = 11, 101, 3*time.Hour, 12
	client.PointsLife, client.ProfileLinkLife = 100*24*time.Hour, 2*time.Hour
	client.LoyalAfterPoints, client.LoyalAfterDays, client.KeyPersonReferrals = 900, 90, 4
	want := roles.Settings{
		Loc: cfg.Location, WelcomeText: "欢迎", PublicURL: "https://fivec.example.com", Client: client,
		Service: roles.ServiceSettings{
			Keywords: []string{"人工", "客服"}, MenuKey: "HUMAN", UnansweredLimit: 7, Policy: "round_robin",
			WeChatKf: true, AskSatisfaction: false, TemplateID: "tmpl-1", TemplateField: "thing2",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SettingsFrom:\n got %+v\nwant %+v", got, want)
	}
	if got.Client.SignIn.Base == roles.DefaultClientRules.SignIn.Base || roles.DefaultClientRules.SignIn.Base != 10 {
		t.Fatal("the default client rules were changed in place")
	}
}
