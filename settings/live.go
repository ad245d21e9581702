package settings

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/replytemplate"
)

// Snapshot is the settings in force at one moment: the defaults with the
// console's values over them. It is never changed once built.
type Snapshot struct {
	values  Values
	saved   Values // what the console saved (wins over the default)
	version string
	// scenes are the channels' welcome texts by QR scene.
	scenes map[string]string
	// hours are the business hours, parsed once (Close Service reads
	// them on the callback's hot path).
	hoursOnce sync.Once
	hours     Hours
}

// NewSnapshot overlays saved on defaults (both already valid).
func NewSnapshot(defaults, saved Values, version string) *Snapshot {
	v := make(Values, len(Catalog))
	for _, d := range Catalog {
		v[d.Key] = defaults[d.Key]
	}
	for k, s := range saved {
		v[k] = s
	}
	return &Snapshot{values: v, saved: saved, version: version}
}

// SceneWelcome is the welcome text of the channel whose QR scene is scene
// ("": none; the general welcome text applies).
func (s *Snapshot) SceneWelcome(scene string) string { return s.scenes[scene] }

// Text returns the value of key as written.
func (s *Snapshot) Text(key string) string { return s.values[key] }

// Int returns an Int setting.
func (s *Snapshot) Int(key string) int64 {
	n, _ := strconv.ParseInt(s.values[key], 10, 64)
	return n
}

// Duration returns a Duration setting.
func (s *Snapshot) Duration(key string) time.Duration {
	d, _ := ParseDuration(s.values[key])
	return d
}

// List returns a List setting's words.
func (s *Snapshot) List(key string) []string {
	var out []string
	for _, w := range strings.Split(s.values[key], ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// Quiet returns the quiet hours as from and to ("" "": none).
func (s *Snapshot) Quiet() (from, to string) {
	from, to, _ = strings.Cut(s.values[QuietHours], "-")
	return from, to
}

// Saved reports whether the console's value is in force for key.
func (s *Snapshot) Saved(key string) bool {
	_, ok := s.saved[key]
	return ok
}

// TextData are the variables a fan-facing text is rendered with.
type TextData struct {
	Name  string // how the fan is addressed (models.FanName)
	Ahead int64  // conversations ahead in the queue
	Agent string // the agent's display name
	// OpensAt is when business hours next begin ("明天 09:00").
	OpensAt string
}

// Sample is the sample fan the console's previews use.
var Sample = TextData{Name: "张小明", Ahead: 2, Agent: "客服小王", OpensAt: "明天 09:00"}

// maxRendered bounds a rendered text.
const maxRendered = 2048

// Render fills text (a Text setting's value, valid for key's Vars) with
// data. A text that does not render (it cannot be, once saved) is sent
// as written rather than dropped.
func Render(key, text string, data TextData) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	d, _ := Find(key)
	tpl, err := replytemplate.Parse(text, d.Vars)
	if err != nil {
		return text
	}
	out, err := tpl.Execute(data, maxRendered)
	if err != nil {
		return text
	}
	return out
}

// Preview renders text for key with the sample fan, or says in Chinese
// why it cannot be sent.
func Preview(key, text string) (string, error) {
	d, ok := Find(key)
	if !ok || d.Kind != Text {
		return "", Errors{{Key: key, Msg: "这项设置不是发给粉丝的文字，没有预览。"}}
	}
	v, err := d.Check(text)
	if err != nil {
		return "", Errors{{Key: key, Msg: err.Error()}}
	}
	return Render(key, v, Sample), nil
}

// Live is where the roles and the delivery engine read the settings in
// force. cmd/fivec builds one per process, wires it into them and runs
// ReloadIfChanged every ReloadEvery. Current never blocks on the database.
type Live struct {
	Store *models.Store
	// Defaults are the values from the environment (and built-in
	// defaults), valid for Catalog.
	Defaults Values
	Log      *slog.Logger

	cur atomic.Pointer[Snapshot]
	mu  sync.Mutex // one reload at a time
}

// Current returns the settings in force: the last loaded, or the defaults
// before the first load.
func (l *Live) Current() *Snapshot {
	if s := l.cur.Load(); s != nil {
		return s
	}
	return NewSnapshot(l.Defaults, nil, "")
}

// Reload reads the console's values now.
func (l *Live) Reload(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reload(ctx)
}

// ReloadIfChanged reloads when the version moved (a save in any process).
func (l *Live) ReloadIfChanged(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, err := l.Store.ConsoleSettingsVersion(ctx)
	if err != nil {
		return err
	}
	if cur := l.cur.Load(); cur != nil && cur.version == v {
		return nil
	}
	return l.reload(ctx)
}

func (l *Live) reload(ctx context.Context) error {
	raw, version, err := l.Store.ConsoleSettings(ctx)
	if err != nil {
		return err
	}
	saved := Values{}
	for k, v := range raw {
		d, ok := Find(k)
		if !ok {
			continue // a setting a newer release added
		}
		nv, err := d.Check(v)
		if err != nil {
			// Saved values were checked; one refused now (a rule
			// tightened) falls back to the default rather than reach fans.
			if l.Log != nil {
				l.Log.Warn("console setting ignored", "key", k, "err", err)
			}
			continue
		}
		saved[k] = nv
	}
	snap := NewSnapshot(l.Defaults, saved, version)
	if err := l.scenes(ctx, snap); err != nil {
		return err
	}
	l.cur.Store(snap)
	return nil
}

// scenes maps the QR scenes of the channels with a welcome text to it.
func (l *Live) scenes(ctx context.Context, snap *Snapshot) error {
	snap.scenes = map[string]string{}
	ids := map[uint64]string{}
	for k, v := range snap.saved {
		if id, ok := ChannelOf(k); ok && v != "" {
			ids[id] = v
		}
	}
	if len(ids) == 0 {
		return nil
	}
	chans, err := l.Store.ListChannels(ctx)
	if err != nil {
		return err
	}
	for _, c := range chans {
		if text, ok := ids[c.ID]; ok {
			snap.scenes[c.Scene] = text
		}
	}
	return nil
}

// Changed returns the values of set that differ from those in force (a
// form posts every setting; only those the admin changed are checked, so a
// default the console would refuse, e.g. an old FIVEC_QUIET_HOURS of
// 00:00-00:00, does not block saving the others). Unknown keys are kept,
// for Validate to refuse.
func (l *Live) Changed(set Values) Values {
	cur := l.Current()
	out := Values{}
	for k, v := range set {
		if _, known := Find(k); known && tidy(v) == cur.Text(k) {
			continue
		}
		out[k] = v
	}
	return out
}

// tidy is a posted value as Check starts from (browsers send CRLF).
func tidy(v string) string { return strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n")) }

// NormalizeDefaults writes the defaults as the console shows them. A
// default the console would refuse (config accepted it) is kept as it is,
// and reported, so that start-up does not fail on a value that worked
// before.
func NormalizeDefaults(v Values) (Values, []error) {
	out := Values{}
	var warnings []error
	for _, d := range Catalog {
		raw := v[d.Key]
		nv, err := d.Check(raw)
		if err != nil {
			name := d.Env
			if name == "" {
				name = d.Key
			}
			warnings = append(warnings, fmt.Errorf("%s: %w", name, err))
			nv = tidy(raw)
		}
		out[d.Key] = nv
	}
	return out, warnings
}

// Save validates every value of set (all or nothing) and saves them with
// the keys of reset returned to their defaults, in one transaction audited
// as actor, then applies them in this process at once. Values equal to
// what is in force and not saved before are left to follow the default.
// The error is Errors when a value is refused.
func (l *Live) Save(ctx context.Context, set Values, reset []string, actor models.AuditEntry) error {
	if err := l.ReloadIfChanged(ctx); err != nil {
		return err
	}
	clean, err := Validate(l.Changed(set))
	if err != nil {
		return err
	}
	var errs Errors
	for _, k := range reset {
		if _, ok := Find(k); !ok {
			errs = append(errs, FieldError{Key: k, Msg: "没有名为“" + k + "”的设置，无法恢复默认。"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	cur := l.Current()
	keys := make([]string, 0, len(clean))
	for k := range clean {
		keys = append(keys, k)
	}
	sortKeys(keys)
	var changes []models.SettingChange
	for _, k := range keys {
		v := clean[k]
		if id, ok := ChannelOf(k); ok {
			if _, err := l.Store.FindChannel(ctx, id); models.ErrorCode(err) == models.ENOTFOUND {
				errs = append(errs, FieldError{Key: k, Msg: fmt.Sprintf("渠道编号 %d 不存在（可能已被删除）；请刷新设置页再保存。", id)})
				continue
			} else if err != nil {
				return err
			}
		}
		switch _, channel := ChannelOf(k); {
		case channel && v == "":
			// An empty channel welcome is none: the general one applies.
			if cur.Saved(k) {
				changes = append(changes, models.SettingChange{Key: k, Reset: true, Before: cur.Text(k)})
			}
		case v != cur.Text(k) || cur.Saved(k) && v != cur.saved[k]:
			changes = append(changes, models.SettingChange{Key: k, Value: v, Before: cur.Text(k), After: v})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for _, k := range reset {
		if _, ok := clean[k]; ok || !cur.Saved(k) {
			continue
		}
		changes = append(changes, models.SettingChange{Key: k, Reset: true, Before: cur.Text(k), After: l.Defaults[k]})
	}
	if err := l.Store.SaveConsoleSettings(ctx, changes, actor); err != nil {
		return err
	}
	return l.Reload(ctx)
}
