package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AgeBands are the age bands of the profile report: [Min, Max) years.
var AgeBands = []struct {
	Key      string
	Min, Max int
}{{"under_18", 0, 18}, {"18_24", 18, 25}, {"25_34", 25, 35}, {"35_44", 35, 45}, {"45_54", 45, 55}, {"55_plus", 55, 200}}

// Share is a count within what fans told: Of is how many members gave that
// field, Members how many members there are (the coverage label).
type Share struct {
	Key     string
	N       int64
	Of      int64
	Members int64
}

// ProfileReport is the Profile tab: completeness and the distributions of
// what fans chose to tell, each labelled with the members it covers.
type ProfileReport struct {
	Completeness ProfileCompleteness
	Regions      []Share // most members first; the rest summed as "other"
	Ages         []Share // AgeBands order
	AsOf         string  // the day ages are computed on (account zone)
}

// maxRegions is how many regions the report lists before "other".
const maxRegions = 20

// RegionOther sums the regions past maxRegions.
const RegionOther = "(other)"

// ProfileStats reports profile completeness and the region and age-band
// distributions of fan-provided profiles.
func (s *Store) ProfileStats(ctx context.Context, loc *time.Location) (*ProfileReport, error) {
	c, err := s.Completeness(ctx)
	if err != nil {
		return nil, err
	}
	r := &ProfileReport{Completeness: c}
	db := s.db.WithContext(ctx)
	var regions []struct {
		Region string
		N      int64
	}
	if err := db.Model(&MemberProfile{}).Select("region, COUNT(*) AS n").Where("region <> ''").Group("region").
		Order("n DESC, region").Limit(maxRegions + 1).Scan(&regions).Error; err != nil {
		return nil, translate("regions", err)
	}
	var listed int64
	for i, g := range regions {
		if i == maxRegions {
			r.Regions = append(r.Regions, Share{Key: RegionOther, N: c.Region - listed, Of: c.Region, Members: c.Members})
			break
		}
		listed += g.N
		r.Regions = append(r.Regions, Share{Key: g.Region, N: g.N, Of: c.Region, Members: c.Members})
	}
	// Birthdays are YYYY-MM-DD text, so an age band is a string range:
	// aged [min, max) today means born in (today-max years, today-min years].
	now := s.now().In(loc)
	r.AsOf = now.Format(time.DateOnly)
	var sel []string
	var args []any
	for i, b := range AgeBands {
		sel = append(sel, fmt.Sprintf("COALESCE(SUM(CASE WHEN birthday > ? AND birthday <= ? THEN 1 ELSE 0 END), 0) AS b%d", i))
		args = append(args, now.AddDate(-b.Max, 0, 0).Format(time.DateOnly), now.AddDate(-b.Min, 0, 0).Format(time.DateOnly))
	}
	var n [6]int64 // one per AgeBands
	var bands struct{ B0, B1, B2, B3, B4, B5 int64 }
	if err := db.Model(&MemberProfile{}).Select(strings.Join(sel, ", "), args...).Where("birthday <> ''").Scan(&bands).Error; err != nil {
		return nil, translate("age bands", err)
	}
	n = [6]int64{bands.B0, bands.B1, bands.B2, bands.B3, bands.B4, bands.B5}
	for i, b := range AgeBands {
		r.Ages = append(r.Ages, Share{Key: b.Key, N: n[i], Of: c.Birthday, Members: c.Members})
	}
	return r, nil
}

// Tables returns profile_completeness, profile_regions and profile_ages.
func (r *ProfileReport) Tables() []Table {
	c := r.Completeness
	comp := Table{Name: "profile_completeness", Columns: []string{"field", "members", "share"}}
	for _, f := range []struct {
		k string
		n int64
	}{{"profile", c.Profiles}, {"name", c.Name}, {"birthday", c.Birthday}, {"region", c.Region}, {"phone", c.Phone}, {"interests", c.Interests}} {
		comp.Rows = append(comp.Rows, []any{f.k, f.n, Ratio{f.n, c.Members}})
	}
	dist := func(name, col string, list []Share) Table {
		t := Table{Name: name, Columns: []string{col, "members", "share", "coverage"}}
		for _, s := range list {
			t.Rows = append(t.Rows, []any{s.Key, s.N, Ratio{s.N, s.Of}, Ratio{s.Of, s.Members}})
		}
		return t
	}
	return []Table{comp, dist("profile_regions", "region", r.Regions), dist("profile_ages", "age_band", r.Ages)}
}
