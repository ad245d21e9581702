package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/settings"
)

func TestHoursCheck(t *testing.T) {
	tests := []struct {
		key, in, want, err string
	}{
		{settings.HoursMon, "", "", ""},
		{settings.HoursMon, "13:00-18:00， 9:00-12:00", "09:00-12:00,13:00-18:00", ""},
		{settings.HoursMon, "09：00－18：00", "09:00-18:00", ""},
		{settings.HoursSat, "20:00-24:00", "20:00-24:00", ""},
		{settings.HoursTue, "9点到18点", "", "「周二营业时间」“9点到18点”格式不对"},
		{settings.HoursTue, "25:00-26:00", "", "「周二营业时间」“25:00-26:00”格式不对"},
		{settings.HoursWed, "18:00-09:00", "", "「周三营业时间」“18:00-09:00”的结束时间要晚于开始时间"},
		{settings.HoursThu, "09:00-12:00,11:30-18:00", "", "「周四营业时间」“09:00-12:00”和“11:30-18:00”重叠了"},
		{settings.HoursFri, "24:00-24:00", "", "超出了一天"},
		{settings.ServiceHolidays, "2026-10-03, 2026-10-01~2026-10-02，2027-01-01", "2026-10-01~2026-10-03,2027-01-01", ""},
		{settings.ServiceHolidays, "2026-02-30", "", "「节假日（不营业）」没有“2026-02-30”这一天"},
		{settings.ServiceHolidays, "国庆", "", "「节假日（不营业）」“国庆”不是日期"},
		{settings.ServiceHolidays, "2026-10-07~2026-10-01", "", "结束日期早于开始日期"},
		{settings.ServiceHolidays, "2026-01-01~2027-12-31", "", "节假日太多"},
		{settings.ServiceOffHours, "{{.OpensAt}} 回复您", "{{.OpensAt}} 回复您", ""},
		{settings.ServiceOffHours, "{{.Ahead}} 位", "", "「非工作时间提示」有误"},
		{settings.ServiceOffHours, "", "", "「非工作时间提示」不能为空"},
	}
	for _, tt := range tests {
		d, _ := settings.Find(tt.key)
		got, err := d.Check(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("%s %q: got %q, %v; want %q", tt.key, tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s %q: got %q, %v; want an error with %q", tt.key, tt.in, got, err, tt.err)
		}
	}
}

func TestHoursOpenAndNextOpen(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	snap := settings.NewSnapshot(nil, settings.Values{
		settings.HoursMon: "09:00-12:00,13:00-18:00", settings.HoursTue: "09:00-18:00", settings.HoursWed: "09:00-18:00",
		settings.HoursThu: "09:00-18:00", settings.HoursFri: "09:00-18:00", settings.ServiceHolidays: "2026-10-01~2026-10-07",
	}, "1")
	h := snap.Hours()
	tests := []struct {
		now   string // 2026-12-07 is a Monday
		open  bool
		next  string
		fanAt string
	}{
		{"2026-12-07 10:00", true, "2026-12-07 10:00", "今天 10:00"},
		{"2026-12-07 12:30", false, "2026-12-07 13:00", "今天 13:00"},
		{"2026-12-07 18:00", false, "2026-12-08 09:00", "明天 09:00"},
		{"2026-12-08 01:00", false, "2026-12-08 09:00", "今天 09:00"},
		{"2026-12-11 19:00", false, "2026-12-14 09:00", "12月14日（周一）09:00"},
		{"2026-09-30 20:00", false, "2026-10-08 09:00", "10月8日（周四）09:00"},
		{"2026-10-05 10:00", false, "2026-10-08 09:00", "10月8日（周四）09:00"},
	}
	for _, tt := range tests {
		now := at(tt.now)
		if got := h.Open(now); got != tt.open {
			t.Errorf("%s: open %v, want %v", tt.now, got, tt.open)
		}
		next, ok := h.NextOpen(now)
		if !ok || !next.Equal(at(tt.next)) {
			t.Errorf("%s: next %v %v, want %s", tt.now, next, ok, tt.next)
		}
		if got := settings.FormatOpensAt(next, now); got != tt.fanAt {
			t.Errorf("%s: the fan reads %q, want %q", tt.now, got, tt.fanAt)
		}
	}
	if none := settings.NewSnapshot(nil, nil, "").Hours(); none.Set() || !none.Open(at("2026-12-08 03:00")) {
		t.Fatal("with no business hours the desk must be always open")
	}
}

// TestHoursSaveAllOrNothing: one bad day refuses the whole form, naming
// the field; nothing is stored and the hours in force do not change.
func TestHoursSaveAllOrNothing(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s := modelstest.MustOpen(t, driver)
			ctx := context.Background()
			l := &settings.Live{Store: s, Defaults: defaults(t)}
			actor := models.AuditEntry{StaffID: 1, Username: "admin"}
			err := l.Save(ctx, settings.Values{settings.HoursMon: "09:00-18:00", settings.HoursTue: "09:00-12:00,11:00-13:00",
				settings.ServiceHolidays: "2026-13-01", settings.ServiceOffHours: "{{.OpensAt}} 见"}, nil, actor)
			var errs settings.Errors
			if !errors.As(err, &errs) || len(errs) != 2 || !strings.Contains(errs.For(settings.HoursTue), "周二营业时间") ||
				!strings.Contains(errs.For(settings.ServiceHolidays), "2026-13-01") {
				t.Fatalf("bad save: %v", err)
			}
			if saved, _, _ := s.ConsoleSettings(ctx); len(saved) != 0 {
				t.Fatalf("a refused save left %v", saved)
			}
			if l.Current().Hours().Set() {
				t.Fatal("refused hours are in force")
			}
			if err := l.Save(ctx, settings.Values{settings.HoursMon: "9:00-18:00", settings.ServiceHolidays: "2026-12-25"}, nil, actor); err != nil {
				t.Fatal(err)
			}
			h := l.Current().Hours()
			if !h.Set() || h.Week[time.Monday][0] != (settings.Span{From: 9 * 60, To: 18 * 60}) || !h.Holidays["2026-12-25"] {
				t.Fatalf("hours in force: %+v", h)
			}
		})
	}
}
