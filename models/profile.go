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

// ProfileLink returns the member's profile-form token, creating it once.
func (s *Store) ProfileLink(ctx context.Context, memberID uint64) (string, error) {
	var m Member
	if err := s.db.WithContext(ctx).Select("id, profile_token").Take(&m, memberID).Error; err != nil {
		return "", translate("profile link", err)
	}
	if m.ProfileToken != nil {
		return *m.ProfileToken, nil
	}
	tok := RandomToken(18)
	res := s.db.WithContext(ctx).Model(&Member{}).Where("id = ? AND profile_token IS NULL", memberID).Update("profile_token", tok)
	if res.Error != nil {
		return "", translate("profile link", res.Error)
	}
	if res.RowsAffected == 0 {
		return s.ProfileLink(ctx, memberID)
	}
	return tok, nil
}

// MemberByProfileToken resolves a profile-form link.
func (s *Store) MemberByProfileToken(ctx context.Context, tok string) (*Member, error) {
	var m Member
	err := s.db.WithContext(ctx).Where("profile_token = ?", tok).Take(&m).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "this link is not valid")
	}
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
