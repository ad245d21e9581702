package settings

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Business hours: one Ranges setting per week day ("09:00-12:00,13:00-18:00";
// empty: closed that day) and the holidays (Dates), in the account's time
// zone. When no week day has hours, Close Service is always open (the
// behaviour before business hours existed).

// WeekdayKeys are the settings of each week day's hours, by time.Weekday
// (Sunday first, as Go numbers them).
var WeekdayKeys = [7]string{HoursSun, HoursMon, HoursTue, HoursWed, HoursThu, HoursFri, HoursSat}

var (
	spanFormat = regexp.MustCompile(`^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$`)
	dateFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// Span is one opening of a day, in minutes after midnight [From, To).
type Span struct{ From, To int }

func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.From/60, s.From%60, s.To/60, s.To%60)
}

// parseSpans reads "09:00-12:00,13:00-18:00" (commas, ，、 or spaces between;
// ：and － accepted). The error says in Chinese what is wrong, without the
// setting's name.
func parseSpans(v string) ([]Span, error) {
	v = strings.NewReplacer("：", ":", "－", "-", "—", "-", "–", "-", "~", "-", "～", "-").Replace(v)
	var out []Span
	for _, part := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' || r == '\n'
	}) {
		m := spanFormat.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("“%s”格式不对：要写成 09:00-18:00（24 小时制），多段用逗号分隔，例如 09:00-12:00,13:00-18:00；休息日留空", part)
		}
		h1, _ := strconv.Atoi(m[1])
		m1, _ := strconv.Atoi(m[2])
		h2, _ := strconv.Atoi(m[3])
		m2, _ := strconv.Atoi(m[4])
		s := Span{From: h1*60 + m1, To: h2*60 + m2}
		if s.From >= 24*60 || s.To > 24*60 {
			return nil, fmt.Errorf("“%s”超出了一天：时间要在 00:00 到 24:00 之间", part)
		}
		if s.To <= s.From {
			return nil, fmt.Errorf("“%s”的结束时间要晚于开始时间；跨午夜的营业请分成两天写（例如周五 20:00-24:00、周六 00:00-02:00）", part)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	for i := 1; i < len(out); i++ {
		if out[i].From < out[i-1].To {
			return nil, fmt.Errorf("“%s”和“%s”重叠了：请合并成一段，或改成不重叠的时段", out[i-1], out[i])
		}
	}
	return out, nil
}

// checkSpans normalises a Ranges value.
func checkSpans(v string) (string, error) {
	spans, err := parseSpans(v)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = s.String()
	}
	return strings.Join(parts, ","), nil
}

// maxHolidays bounds the holidays list.
const maxHolidays = 400

// parseDates reads dates "2026-10-01" and ranges "2026-10-01~2026-10-07",
// separated by commas or new lines.
func parseDates(v string) ([]string, error) {
	v = strings.NewReplacer("～", "~", "至", "~", "／", "/").Replace(v)
	seen := map[string]bool{}
	var out []string
	for _, part := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' || r == '\n'
	}) {
		from, to, isRange := strings.Cut(part, "~")
		if !isRange {
			to = from
		}
		a, err := parseDate(from)
		if err != nil {
			return nil, err
		}
		b, err := parseDate(to)
		if err != nil {
			return nil, err
		}
		if b.Before(a) {
			return nil, fmt.Errorf("“%s”的结束日期早于开始日期", part)
		}
		for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
			k := d.Format(time.DateOnly)
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
			if len(out) > maxHolidays {
				return nil, fmt.Errorf("节假日太多：最多 %d 天，请删去已经过去的日期", maxHolidays)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func parseDate(v string) (time.Time, error) {
	v = strings.ReplaceAll(strings.TrimSpace(v), "/", "-")
	if !dateFormat.MatchString(v) {
		return time.Time{}, fmt.Errorf("“%s”不是日期：要写成 2026-10-01，连续几天可写 2026-10-01~2026-10-07，用逗号分隔", v)
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("没有“%s”这一天，请检查月份和日期", v)
	}
	return t, nil
}

// checkDates normalises a Dates value (ranges written out day by day are
// kept as ranges of consecutive days).
func checkDates(v string) (string, error) {
	days, err := parseDates(v)
	if err != nil {
		return "", err
	}
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && nextDay(days[j]) == days[j+1] {
			j++
		}
		if j > i {
			parts = append(parts, days[i]+"~"+days[j])
		} else {
			parts = append(parts, days[i])
		}
		i = j + 1
	}
	return strings.Join(parts, ","), nil
}

func nextDay(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// Hours are Close Service's business hours.
type Hours struct {
	// Week holds each day's openings, by time.Weekday.
	Week [7][]Span
	// Holidays are closed all day ("2006-01-02").
	Holidays map[string]bool
}

// Set reports whether any business hours are set; without them Close
// Service is always open.
func (h Hours) Set() bool {
	for _, d := range h.Week {
		if len(d) > 0 {
			return true
		}
	}
	return false
}

// Open reports whether t (in the account's zone) is within business hours.
func (h Hours) Open(t time.Time) bool {
	if !h.Set() {
		return true
	}
	if h.Holidays[t.Format(time.DateOnly)] {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	for _, s := range h.Week[t.Weekday()] {
		if m >= s.From && m < s.To {
			return true
		}
	}
	return false
}

// NextOpen returns when business hours next begin after t (t itself when
// open), in t's zone; false when nothing opens within a year and a half
// (every day a holiday).
func (h Hours) NextOpen(t time.Time) (time.Time, bool) {
	if h.Open(t) {
		return t, true
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	for i := 0; i < 550; i++ {
		d := day.AddDate(0, 0, i)
		if h.Holidays[d.Format(time.DateOnly)] {
			continue
		}
		for _, s := range h.Week[d.Weekday()] {
			at := d.Add(time.Duration(s.From) * time.Minute)
			if at.After(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

var weekdayNames = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// FormatOpensAt writes when business hours begin as a fan reads it, from
// now: "今天 09:00", "明天 09:00", "10月8日（周四）09:00"; "" when
// nothing opens.
func FormatOpensAt(at, now time.Time) string {
	if at.IsZero() {
		return ""
	}
	y1, m1, d1 := now.Date()
	y2, m2, d2 := at.Date()
	today := time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)
	that := time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC)
	clock := at.Format("15:04")
	switch int(that.Sub(today).Hours() / 24) {
	case 0:
		return "今天 " + clock
	case 1:
		return "明天 " + clock
	}
	return fmt.Sprintf("%d月%d日（%s）%s", int(m2), d2, weekdayNames[at.Weekday()], clock)
}

// Hours returns the business hours in force (parsed on first use).
func (s *Snapshot) Hours() Hours {
	s.hoursOnce.Do(func() { s.hours = s.parseHours() })
	return s.hours
}

func (s *Snapshot) parseHours() Hours {
	var h Hours
	for wd, k := range WeekdayKeys {
		h.Week[wd], _ = parseSpans(s.values[k])
	}
	days, _ := parseDates(s.values[ServiceHolidays])
	h.Holidays = make(map[string]bool, len(days))
	for _, d := range days {
		h.Holidays[d] = true
	}
	return h
}
