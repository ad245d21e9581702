package roles

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fivec/fivec/models"
)

// Export formats.
const (
	ExportCSV  = "csv"
	ExportJSON = "json"
)

// ValidExportFormat refuses anything but csv and json, in words.
func ValidExportFormat(f string) error {
	if f != ExportCSV && f != ExportJSON {
		return models.Errorf(models.EINVALID, "the export format must be csv or json")
	}
	return nil
}

// ExportedMember is the JSON of one fan's export.
type ExportedMember struct {
	OpenID            string            `json:"openid"`
	UnionID           string            `json:"unionid,omitempty"`
	Subscribed        bool              `json:"subscribed"`
	FirstSubscribedAt *time.Time        `json:"first_subscribed_at,omitempty"`
	LastSubscribedAt  *time.Time        `json:"last_subscribed_at,omitempty"`
	UnsubscribedAt    *time.Time        `json:"unsubscribed_at,omitempty"`
	SubscribeScene    string            `json:"subscribe_scene,omitempty"`
	LastInteractionAt *time.Time        `json:"last_interaction_at,omitempty"`
	Level             string            `json:"level"`
	Stage             string            `json:"stage"`
	Points            int64             `json:"points"`
	Follows           int               `json:"follows"`
	Profile           *ExportedProfile  `json:"profile"`
	Tags              []string          `json:"tags"`
	Ledger            []ExportedPoints  `json:"points_ledger"`
	Messages          []ExportedMessage `json:"messages"`
}

// ExportedProfile is the form the fan filled in.
type ExportedProfile struct {
	Name      string    `json:"name"`
	Birthday  string    `json:"birthday"`
	Region    string    `json:"region"`
	Phone     string    `json:"phone"`
	Interests string    `json:"interests"`
	ConsentAt time.Time `json:"consent_at"`
}

// ExportedPoints is one line of the points ledger.
type ExportedPoints struct {
	At      time.Time `json:"at"`
	Delta   int64     `json:"delta"`
	Balance int64     `json:"balance"`
	Source  string    `json:"source"`
	Reason  string    `json:"reason,omitempty"`
}

// ExportedMessage is one message to or from the fan.
type ExportedMessage struct {
	At        time.Time `json:"at"`
	Direction string    `json:"direction"` // in: from the fan; out: to the fan
	Type      string    `json:"type"`
	Event     string    `json:"event,omitempty"`
	Content   string    `json:"content,omitempty"`
	Replies   []string  `json:"replies,omitempty"` // what was sent (out) or answered (in)
}

// ExportOf turns a member's data into its export.
func ExportOf(e *models.MemberExport) ExportedMember {
	m := e.Member
	out := ExportedMember{OpenID: m.OpenID, UnionID: m.UnionID, Subscribed: m.Subscribed, FirstSubscribedAt: m.FirstSubscribedAt,
		LastSubscribedAt: m.LastSubscribedAt, UnsubscribedAt: m.UnsubscribedAt, SubscribeScene: m.SubscribeScene,
		LastInteractionAt: m.LastInteractionAt, Level: m.Level, Stage: m.Stage, Points: m.Points, Follows: m.Follows,
		Tags: append([]string{}, e.Tags...), Ledger: []ExportedPoints{}, Messages: []ExportedMessage{}}
	if p := e.Profile; p != nil {
		out.Profile = &ExportedProfile{Name: p.Name, Birthday: p.Birthday, Region: p.Region, Phone: p.Phone, Interests: p.Interests, ConsentAt: p.ConsentAt}
	}
	for _, p := range e.Ledger {
		out.Ledger = append(out.Ledger, ExportedPoints{At: p.CreatedAt, Delta: p.Delta, Balance: p.Balance, Source: p.Source, Reason: p.Reason})
	}
	for _, msg := range e.Messages {
		x := ExportedMessage{At: msg.CreatedAt, Direction: msg.Direction, Type: msg.MsgType, Event: msg.Event, Content: msg.Content}
		if rs, err := msg.DecodedReplies(); err == nil {
			for _, r := range rs {
				x.Replies = append(x.Replies, r.Summary())
			}
		}
		out.Messages = append(out.Messages, x)
	}
	return out
}

// ExportHeader is the CSV export's first row. Every fact is one row:
// record (member, profile, tag, points, message), the fan's openid, when
// (for points and messages), what (a field name, the points source, the
// message's direction/type) and its value, with a detail column.
var ExportHeader = []string{"record", "openid", "at", "name", "value", "detail"}

// ExportWriter writes member exports as CSV or JSON to w, one member at a
// time, so a segment's export streams (Close ends it).
type ExportWriter struct {
	format string
	buf    *bufio.Writer
	csv    *csv.Writer
	json   *json.Encoder
	n      int
	single bool
}

// NewExportWriter starts an export in format. single: one member, written
// as a JSON object rather than a list.
func NewExportWriter(w io.Writer, format string, single bool) (*ExportWriter, error) {
	if err := ValidExportFormat(format); err != nil {
		return nil, err
	}
	ew := &ExportWriter{format: format, buf: bufio.NewWriterSize(w, 32<<10), single: single}
	if format == ExportCSV {
		ew.buf.WriteString("\ufeff") // Excel opens UTF-8 CSV as Chinese only with a BOM
		ew.csv = csv.NewWriter(ew.buf)
		return ew, ew.csv.Write(ExportHeader)
	}
	ew.json = json.NewEncoder(ew.buf)
	ew.json.SetEscapeHTML(false)
	if !single {
		_, err := ew.buf.WriteString("[\n")
		return ew, err
	}
	return ew, nil
}

// Write adds one member.
func (ew *ExportWriter) Write(e *models.MemberExport) error {
	x := ExportOf(e)
	ew.n++
	if ew.format == ExportJSON {
		if !ew.single && ew.n > 1 {
			ew.buf.WriteString(",")
		}
		return ew.json.Encode(x)
	}
	row := func(record, at, name, value, detail string) error {
		return ew.csv.Write([]string{record, x.OpenID, at, cell(name), cell(value), cell(detail)})
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	fields := [][2]string{{"unionid", x.UnionID}, {"subscribed", strconv.FormatBool(x.Subscribed)},
		{"first_subscribed_at", ts(x.FirstSubscribedAt)}, {"last_subscribed_at", ts(x.LastSubscribedAt)},
		{"unsubscribed_at", ts(x.UnsubscribedAt)}, {"subscribe_scene", x.SubscribeScene},
		{"last_interaction_at", ts(x.LastInteractionAt)}, {"level", x.Level}, {"stage", x.Stage},
		{"points", strconv.FormatInt(x.Points, 10)}, {"follows", strconv.Itoa(x.Follows)}}
	for _, f := range fields {
		if err := row("member", "", f[0], f[1], ""); err != nil {
			return err
		}
	}
	if p := x.Profile; p != nil {
		for _, f := range [][2]string{{"name", p.Name}, {"birthday", p.Birthday}, {"region", p.Region}, {"phone", p.Phone},
			{"interests", p.Interests}, {"consent_at", ts(&p.ConsentAt)}} {
			if err := row("profile", "", f[0], f[1], ""); err != nil {
				return err
			}
		}
	}
	for _, t := range x.Tags {
		if err := row("tag", "", "tag", t, ""); err != nil {
			return err
		}
	}
	for _, p := range x.Ledger {
		if err := row("points", ts(&p.At), p.Source, strconv.FormatInt(p.Delta, 10),
			fmt.Sprintf("balance %d; %s", p.Balance, p.Reason)); err != nil {
			return err
		}
	}
	for _, m := range x.Messages {
		name := m.Direction + "/" + m.Type
		if m.Event != "" {
			name += "/" + m.Event
		}
		if err := row("message", ts(&m.At), name, m.Content, strings.Join(m.Replies, " | ")); err != nil {
			return err
		}
	}
	return ew.csv.Error()
}

// Close ends the export and flushes it.
func (ew *ExportWriter) Close() error {
	if ew.format == ExportCSV {
		ew.csv.Flush()
		if err := ew.csv.Error(); err != nil {
			return err
		}
	} else if !ew.single {
		ew.buf.WriteString("]\n")
	}
	return ew.buf.Flush()
}

// cell keeps a spreadsheet from running a fan's text as a formula.
func cell(s string) string {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportSegment streams the export of every member of f to w.
func ExportSegment(ctx context.Context, st *models.Store, f models.SegmentFilter, w io.Writer, format string) (int, error) {
	ew, err := NewExportWriter(w, format, false)
	if err != nil {
		return 0, err
	}
	if err := st.ExportSegment(ctx, f, ew.Write); err != nil {
		return ew.n, err
	}
	return ew.n, ew.Close()
}
