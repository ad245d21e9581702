package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Interest maps words fans use to an interest tag: a fan who asks about
// 4S店 or 保养 gets the tag 汽车, and a journey triggered by that tag
// makes the offer. No NLP: a keyword list, matched in the callback.
type Interest struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:64;uniqueIndex;not null"`
	Keywords  string `gorm:"type:text;not null"` // JSON list
	Tag       string `gorm:"size:64;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Words returns the keywords.
func (i *Interest) Words() []string {
	var out []string
	_ = json.Unmarshal([]byte(i.Keywords), &out)
	return out
}

// NewInterest is what a marketer fills in; Tag defaults to Name.
type NewInterest struct {
	Name     string
	Keywords []string
	Tag      string
}

// SaveInterest creates (id 0) or updates a keyword interest.
func (s *Store) SaveInterest(ctx context.Context, id uint64, n NewInterest) (*Interest, error) {
	n.Name, n.Tag = strings.TrimSpace(n.Name), strings.TrimSpace(n.Tag)
	if n.Name == "" || len(n.Name) > 64 {
		return nil, Errorf(EINVALID, "an interest needs a name of 1-64 bytes")
	}
	if n.Tag == "" {
		n.Tag = n.Name
	}
	if err := ValidTagName(n.Tag); err != nil {
		return nil, err
	}
	var words []string
	for _, w := range n.Keywords {
		if w = strings.TrimSpace(w); w != "" && !contains(words, w) {
			if len(w) > 60 {
				return nil, Errorf(EINVALID, "keyword %q is longer than 60 bytes", w)
			}
			words = append(words, w)
		}
	}
	if len(words) == 0 || len(words) > 100 {
		return nil, Errorf(EINVALID, "an interest needs 1-100 keywords")
	}
	in := &Interest{ID: id, Name: n.Name, Keywords: mustJSON(words), Tag: n.Tag}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if id == 0 {
			if err := tx.Create(in).Error; err != nil {
				return err
			}
		} else {
			res := tx.Model(&Interest{}).Where("id = ?", id).Updates(map[string]any{"name": in.Name, "keywords": in.Keywords, "tag": in.Tag, "updated_at": s.now()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return Errorf(ENOTFOUND, "interest not found")
			}
		}
		return bumpVersion(tx, careVersionKey)
	})
	return in, translate("save interest", err)
}

// ListInterests returns every keyword interest by name.
func (s *Store) ListInterests(ctx context.Context) ([]Interest, error) {
	var out []Interest
	return out, translate("list interests", s.db.WithContext(ctx).Order("name").Find(&out).Error)
}

// FindInterest returns one keyword interest.
func (s *Store) FindInterest(ctx context.Context, id uint64) (*Interest, error) {
	var in Interest
	return &in, translate("interest", s.db.WithContext(ctx).Take(&in, id).Error)
}

// DeleteInterest removes a keyword interest (the tags it gave stay).
func (s *Store) DeleteInterest(ctx context.Context, id uint64) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&Interest{}, id)
		if res.Error == nil && res.RowsAffected == 0 {
			return Errorf(ENOTFOUND, "interest not found")
		}
		if res.Error != nil {
			return res.Error
		}
		return bumpVersion(tx, careVersionKey)
	})
	return translate("delete interest", err)
}
