package models

import (
	"context"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// MemberProfile is what a fan tells about themselves (WeChat no longer
// gives nickname, sex or region), kept only with their consent.
type MemberProfile struct {
	MemberID  uint64 `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"size:64"`
	Birthday  string `gorm:"size:10"` // YYYY-MM-DD
	Region    string `gorm:"size:64;index"`
	Phone     string `gorm:"size:32"`
	Interests string `gorm:"size:255"`
	ConsentAt time.Time
	UpdatedAt time.Time
}

// ProfileInput is the form a fan submits.
type ProfileInput struct {
	Name, Birthday, Region, Phone, Interests string
	Consent                                  bool
}

var phonePattern = regexp.MustCompile(`^\+?[0-9 \-]{5,20}$`)

// Validate checks the form; consent is required.
func (p *ProfileInput) Validate() error {
	p.Name, p.Region, p.Phone, p.Interests = strings.TrimSpace(p.Name), strings.TrimSpace(p.Region), strings.TrimSpace(p.Phone), strings.TrimSpace(p.Interests)
	if !p.Consent {
		return Errorf(EINVALID, "please agree to how we keep your information")
	}
	if len(p.Name) > 64 || len(p.Region) > 64 || len(p.Interests) > 255 {
		return Errorf(EINVALID, "a field is too long")
	}
	if p.Birthday != "" {
		if _, err := time.Parse(time.DateOnly, p.Birthday); err != nil {
			return Errorf(EINVALID, "birthday must look like 1990-01-31")
		}
	}
	if p.Phone != "" && !phonePattern.MatchString(p.Phone) {
		return Errorf(EINVALID, "phone number looks wrong")
	}
	return nil
}

// SaveProfile stores a member's profile with the consent time.
func (s *Store) SaveProfile(ctx context.Context, memberID uint64, in ProfileInput) (*MemberProfile, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	p := &MemberProfile{MemberID: memberID, Name: in.Name, Birthday: in.Birthday, Region: in.Region, Phone: in.Phone,
		Interests: in.Interests, ConsentAt: s.now(), UpdatedAt: s.now()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(p).Error
	return p, translate("save profile", err)
}

// Profile returns a member's profile (nil when none).
func (s *Store) Profile(ctx context.Context, memberID uint64) (*MemberProfile, error) {
	var p MemberProfile
	err := s.db.WithContext(ctx).Take(&p, memberID).Error
	if isNotFound(err) {
		return nil, nil
	}
	return &p, translate("profile", err)
}

// ProfileToken is the link to a member's profile form. The link's secret
// is never stored, only its SHA-256 (lowercase hex), looked up exactly: a
// leaked database shows no working link, and a link spelt with other
// letter cases matches nothing whatever the column's collation. A member
// has at most one link; asking again replaces it.
type ProfileToken struct {
	MemberID  uint64    `gorm:"primaryKey;autoIncrement:false"`
	Hash      string    `gorm:"size:64;not null;uniqueIndex"`
	ExpiresAt time.Time `gorm:"not null"`
	CreatedAt time.Time
}

// DefaultProfileLinkLife is how long a profile link works unless
// configured otherwise (FIVEC_PROFILE_LINK_LIFE).
const DefaultProfileLinkLife = 30 * 24 * time.Hour

// ErrProfileLinkExpired is MemberByProfileToken's answer for a link that
// existed but is past its expiry (the fan can ask for a new one).
var ErrProfileLinkExpired = Errorf(ENOTFOUND, "this link has expired")

// ProfileLink issues a new link token for the member's profile form, valid
// for life (DefaultProfileLinkLife when 0). It replaces the member's earlier
// link, which stops working.
func (s *Store) ProfileLink(ctx context.Context, memberID uint64, life time.Duration) (string, error) {
	if life <= 0 {
		life = DefaultProfileLinkLife
	}
	tok := RandomToken(18)
	now := s.now()
	row := &ProfileToken{MemberID: memberID, Hash: hashToken(tok), ExpiresAt: now.Add(life), CreatedAt: now}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "member_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"hash", "expires_at", "created_at"}),
	}).Create(row).Error
	if err != nil {
		return "", translate("profile link", err)
	}
	return tok, nil
}

// MemberByProfileToken resolves a profile-form link: ENOTFOUND for a token
// fivec never issued (or one replaced by a newer link),
// ErrProfileLinkExpired for one past its expiry.
func (s *Store) MemberByProfileToken(ctx context.Context, tok string) (*Member, error) {
	var t ProfileToken
	err := s.db.WithContext(ctx).Where("hash = ?", hashToken(tok)).Take(&t).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "this link is not valid")
	}
	if err != nil {
		return nil, translate("profile link", err)
	}
	if !s.now().Before(t.ExpiresAt) {
		return nil, ErrProfileLinkExpired
	}
	var m Member
	err = s.db.WithContext(ctx).Take(&m, t.MemberID).Error
	return &m, translate("profile link", err)
}

// ProfileCompleteness says how many members gave a profile, and each field.
type ProfileCompleteness struct {
	Members   int64 `json:"members"`
	Profiles  int64 `json:"profiles"`
	Name      int64 `json:"name"`
	Birthday  int64 `json:"birthday"`
	Region    int64 `json:"region"`
	Phone     int64 `json:"phone"`
	Interests int64 `json:"interests"`
}

// Completeness counts profile coverage (reports label figures with it).
func (s *Store) Completeness(ctx context.Context) (ProfileCompleteness, error) {
	var c ProfileCompleteness
	db := s.db.WithContext(ctx)
	if err := db.Model(&Member{}).Count(&c.Members).Error; err != nil {
		return c, translate("completeness", err)
	}
	counts := map[string]*int64{"": &c.Profiles, "name": &c.Name, "birthday": &c.Birthday, "region": &c.Region, "phone": &c.Phone, "interests": &c.Interests}
	for col, dst := range counts {
		q := db.Model(&MemberProfile{})
		if col != "" {
			q = q.Where(col + " <> ''")
		}
		if err := q.Count(dst).Error; err != nil {
			return c, translate("completeness", err)
		}
	}
	return c, nil
}
