package console

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/fivec/fivec/models"
)

// segmentForm is the segment editor as typed: every SegmentFilter field,
// lists as comma-separated text and numbers as text, so a refused form
// comes back exactly as it was.
type segmentForm struct {
	Name                              string
	Stages, Levels                    []string
	TagsAny, TagsNone, Channels       string
	Subscribed, HasPhone              string // "", "yes" or "no"
	MinPoints, MaxPoints              string
	SubscribedFrom, SubscribedTo      string // YYYY-MM-DD
	ActiveWithinDays, InactiveForDays string
	Region, Interest                  string
}

func parseSegmentForm(v url.Values) segmentForm {
	t := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return segmentForm{Name: t("name"), Stages: v["stages"], Levels: v["levels"],
		TagsAny: t("tags_any"), TagsNone: t("tags_none"), Channels: t("channels"),
		Subscribed: t("subscribed"), HasPhone: t("has_phone"), MinPoints: t("min_points"), MaxPoints: t("max_points"),
		SubscribedFrom: t("subscribed_from"), SubscribedTo: t("subscribed_to"),
		ActiveWithinDays: t("active_within_days"), InactiveForDays: t("inactive_for_days"),
		Region: t("region"), Interest: t("interest")}
}

// filter turns the form into a filter, naming the field a bad number is in.
func (f segmentForm) filter() (models.SegmentFilter, error) {
	sf := models.SegmentFilter{Stages: f.Stages, Levels: f.Levels, TagsAny: splitList(f.TagsAny),
		TagsNone: splitList(f.TagsNone), Channels: splitList(f.Channels), SubscribedFrom: f.SubscribedFrom,
		SubscribedTo: f.SubscribedTo, Region: f.Region, Interest: f.Interest}
	sf.Subscribed, sf.HasPhone = yesNo(f.Subscribed), yesNo(f.HasPhone)
	var err error
	if sf.MinPoints, err = intField(f.MinPoints, "minimum points"); err != nil {
		return sf, err
	}
	if sf.MaxPoints, err = intField(f.MaxPoints, "maximum points"); err != nil {
		return sf, err
	}
	for _, d := range []struct {
		text, label string
		dst         *int
	}{{f.ActiveWithinDays, "active within (days)", &sf.ActiveWithinDays}, {f.InactiveForDays, "inactive for (days)", &sf.InactiveForDays}} {
		n, err := intField(d.text, d.label)
		if err != nil {
			return sf, err
		}
		if n != nil {
			if *n > 36500 {
				return sf, models.Errorf(models.EINVALID, "%s is at most 36500", d.label)
			}
			*d.dst = int(*n)
		}
	}
	if sf.MinPoints != nil && sf.MaxPoints != nil && *sf.MinPoints > *sf.MaxPoints {
		return sf, models.Errorf(models.EINVALID, "minimum points are above maximum points")
	}
	return sf, sf.Validate()
}

// segmentFormFrom shows a stored filter in the editor.
func segmentFormFrom(name string, sf models.SegmentFilter) segmentForm {
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	days := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	return segmentForm{Name: name, Stages: sf.Stages, Levels: sf.Levels, TagsAny: strings.Join(sf.TagsAny, ", "),
		TagsNone: strings.Join(sf.TagsNone, ", "), Channels: strings.Join(sf.Channels, ", "),
		Subscribed: yesNoText(sf.Subscribed), HasPhone: yesNoText(sf.HasPhone), MinPoints: num(sf.MinPoints),
		MaxPoints: num(sf.MaxPoints), SubscribedFrom: sf.SubscribedFrom, SubscribedTo: sf.SubscribedTo,
		ActiveWithinDays: days(sf.ActiveWithinDays), InactiveForDays: days(sf.InactiveForDays),
		Region: sf.Region, Interest: sf.Interest}
}

func yesNo(s string) *bool {
	if s != "yes" && s != "no" {
		return nil
	}
	b := s == "yes"
	return &b
}

func yesNoText(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "yes"
	}
	return "no"
}
