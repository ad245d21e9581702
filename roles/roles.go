package roles

import (
	"log/slog"
	"strings"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// Roles are the roles built from the configuration. The server, the rules
// command and the benchmarks all wire them here, so they cannot drift.
type Roles struct {
	Service    *Service
	Consulting *Consulting
	Client     *Client
	Care       *Care
	Center     *Center
}

// Deps are what the roles need besides the configuration.
type Deps struct {
	Store  *models.Store
	Sender *wechat.Sender // nil where nothing is sent (e.g. the rules command)
	WX     *wechat.Client // nil: referral codes come without a QR image
	Log    *slog.Logger
	// PublicURL is where fans open fivec's pages (profile form links).
	PublicURL string
}

// NewRoles builds every role from cfg (which must have passed Validate).
func NewRoles(d Deps, cfg config.Config) *Roles {
	var keywords []string
	for _, k := range strings.Split(cfg.ServiceKeywords, ",") {
		if k = normalize(k); k != "" {
			keywords = append(keywords, k)
		}
	}
	service := &Service{
		Store: d.Store, Sender: d.Sender, Log: d.Log, Keywords: keywords, MenuKey: cfg.ServiceMenuKey,
		UnansweredLimit: cfg.ServiceUnanswered, Policy: cfg.ServicePolicy, WeChatKf: cfg.ServiceWeChatKf,
		AskSatisfaction: cfg.ServiceSatisfaction, Texts: DefaultServiceTexts, Window: models.DefaultWindowRules,
		TemplateID: cfg.ServiceTemplateID, TemplateField: cfg.ServiceTemplateKey,
	}
	actions := TagActions(d.Store)
	actions["points"] = PointsAction(d.Store, cfg.PointsLife)
	actions["escalate"] = service.EscalateAction
	consulting := &Consulting{
		Store: d.Store, Log: d.Log, Loc: cfg.Location, Now: time.Now, WelcomeText: cfg.WelcomeText, Actions: actions,
	}
	rules := DefaultClientRules
	rules.SignIn.Base = int64(cfg.SignInPoints)
	rules.ReferralPoints = int64(cfg.ReferralPoints)
	rules.ReferralHold = cfg.ReferralHold
	rules.ReferralDailyCap = cfg.ReferralDailyCap
	rules.PointsLife = cfg.PointsLife
	rules.ProfileLinkLife = cfg.ProfileLinkLife
	rules.LoyalAfterPoints = int64(cfg.LoyalAfterPoints)
	rules.LoyalAfterDays = cfg.LoyalAfterDays
	rules.KeyPersonReferrals = int64(cfg.KeyPersonAfter)
	client := &Client{Store: d.Store, Log: d.Log, Loc: cfg.Location, Now: time.Now, Rules: rules, PublicURL: d.PublicURL}
	if d.WX != nil {
		client.Referrals = d.WX
	}
	care := &Care{Store: d.Store, Log: d.Log}
	center := &Center{Store: d.Store, Log: d.Log}
	return &Roles{Service: service, Consulting: consulting, Client: client, Care: care, Center: center}
}

// Chain returns the roles in pipeline order: Close Service → Consulting →
// Client → Care → Center.
func (r *Roles) Chain() []Role {
	return []Role{r.Service, r.Consulting, r.Client, r.Care, r.Center}
}
