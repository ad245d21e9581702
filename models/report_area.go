package models

import (
	"context"
	"slices"
)

// Report areas: one console tab and one API endpoint each.
const (
	AreaGrowth   = "growth"
	AreaFunnel   = "funnel"
	AreaKeywords = "keywords"
	AreaContent  = "content"
	AreaService  = "service"
	AreaPoints   = "points"
	AreaProfile  = "profile"
)

// ReportAreas lists the areas in tab order.
var ReportAreas = []string{AreaGrowth, AreaFunnel, AreaKeywords, AreaContent, AreaService, AreaPoints, AreaProfile}

// ReportOptions narrows a report beyond its period.
type ReportOptions struct {
	// Channel narrows the Growth days to one channel (AllChannels: none).
	Channel string
}

// ReportTables runs one area's report and returns its tables: what the
// console draws and exports and the API returns, so both show the same
// numbers.
func (s *Store) ReportTables(ctx context.Context, area string, p Period, o ReportOptions) ([]Table, error) {
	switch area {
	case AreaGrowth:
		if o.Channel == "" {
			o.Channel = AllChannels
		}
		if err := ValidChannel(o.Channel); err != nil {
			return nil, err
		}
		r, err := s.Growth(ctx, p, o.Channel)
		if err != nil {
			return nil, err
		}
		return r.Tables(), nil
	case AreaFunnel:
		r, err := s.Funnel(ctx, p)
		if err != nil {
			return nil, err
		}
		return r.Tables(), nil
	case AreaKeywords:
		r, err := s.Keywords(ctx, p, 30)
		if err != nil {
			return nil, err
		}
		return r.Tables(), nil
	case AreaContent:
		r, err := s.Content(ctx, p)
		if err != nil {
			return nil, err
		}
		return r.Tables(), nil
	case AreaService:
		r, err := s.ServiceMetrics(ctx, p.From, p.To, p.Loc)
		if err != nil {
			return nil, err
		}
		names, err := s.staffNames(ctx)
		if err != nil {
			return nil, err
		}
		return r.Tables(names), nil
	case AreaPoints:
		r, err := s.Points(ctx, p, 20)
		if err != nil {
			return nil, err
		}
		return r.Tables(), nil
	case AreaProfile:
		r, err := s.ProfileStats(ctx, p.Loc)
		if err != nil {
			return nil, err
		}
		return r.Tables(), nil
	}
	return nil, Errorf(ENOTFOUND, "no report %q", area)
}

// FindTable picks a table by name.
func FindTable(tables []Table, name string) (Table, error) {
	i := slices.IndexFunc(tables, func(t Table) bool { return t.Name == name })
	if i < 0 {
		return Table{}, Errorf(ENOTFOUND, "no table %q in this report", name)
	}
	return tables[i], nil
}

// staffNames maps staff ids to the names reports show.
func (s *Store) staffNames(ctx context.Context) (map[uint64]string, error) {
	list, err := s.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]string, len(list))
	for _, st := range list {
		out[st.ID] = st.DisplayName
		if st.DisplayName == "" {
			out[st.ID] = st.Username
		}
	}
	return out, nil
}

// ReportAllowed says who sees which report: admins and marketers see every
// area; agents see the service report only (their own work, and the
// team's), not the marketing numbers.
func ReportAllowed(role, area string) bool {
	switch role {
	case RoleAdmin, RoleMarketer:
		return true
	case RoleAgent:
		return area == AreaService
	}
	return false
}
