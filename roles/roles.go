package roles

import (
	"context"
	"log/slog"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/wechat"
)

// Roles are the five roles, built once. The server, the rules command and
// the benchmarks all wire them here, so they cannot drift.
type Roles struct {
	Service    *Service
	Consulting *Consulting
	Client     *Client
	Care       *Care
	Center     *Center
}

// Deps are what the roles work with: the store, WeChat, the clock and the log.
type Deps struct {
	Store  *models.Store
	Sender *wechat.Sender // nil where nothing is sent (e.g. the rules command)
	WX     *wechat.Client // nil: referral codes come without a QR image
	Log    *slog.Logger
	Now    func() time.Time // nil: time.Now
	// Live holds the settings saved in the console, read at each use so
	// that a change needs no restart (nil: Settings, fixed).
	Live *settings.Live
}

// Settings are the configured values the roles use, and only those:
// SettingsFrom builds them from config.Config (which has passed Validate).
type Settings struct {
	// Loc is the account's time zone (rule schedules, sign-in days).
	Loc *time.Location
	// WelcomeText greets a new follower when no welcome rule does.
	WelcomeText string
	// PublicURL is where fans open fivec's pages (profile form links).
	PublicURL string
	Service   ServiceSettings
	// Client is the points and growth rules; its PointsLife also bounds the
	// points a rule's "points" action gives.
	Client ClientRules
}

// ServiceSettings configure Close Service (the fields of Service they set).
type ServiceSettings struct {
	// Keywords ask for a person; NewRoles normalises them and drops blanks.
	Keywords        []string
	MenuKey         string
	UnansweredLimit int
	Policy          string
	WeChatKf        bool
	AskSatisfaction bool
	TemplateID      string
	TemplateField   string
}

// NewRoles builds every role from d and s.
func NewRoles(d Deps, s Settings) *Roles {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	var keywords []string
	for _, k := range s.Service.Keywords {
		if k = normalize(k); k != "" {
			keywords = append(keywords, k)
		}
	}
	service := &Service{
		Store: d.Store, Sender: d.Sender, Log: d.Log, Keywords: keywords, MenuKey: s.Service.MenuKey,
		UnansweredLimit: s.Service.UnansweredLimit, Policy: s.Service.Policy, WeChatKf: s.Service.WeChatKf,
		AskSatisfaction: s.Service.AskSatisfaction, Texts: DefaultServiceTexts, Window: models.DefaultWindowRules,
		TemplateID: s.Service.TemplateID, TemplateField: s.Service.TemplateField, Live: d.Live,
		Loc: s.Loc, Now: now,
	}
	actions := TagActions(d.Store)
	actions["points"] = PointsAction(d.Store, s.Client.PointsLife)
	if d.Live != nil {
		actions["points"] = func(ctx context.Context, t *Turn, a models.Action) error {
			return PointsAction(d.Store, d.Live.Current().Duration(settings.PointsLife))(ctx, t, a)
		}
	}
	actions["escalate"] = service.EscalateAction
	consulting := &Consulting{
		Store: d.Store, Log: d.Log, Loc: s.Loc, Now: now, WelcomeText: s.WelcomeText, Actions: actions, Live: d.Live,
	}
	client := &Client{Store: d.Store, Log: d.Log, Loc: s.Loc, Now: now, Rules: s.Client, PublicURL: s.PublicURL, Live: d.Live}
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
