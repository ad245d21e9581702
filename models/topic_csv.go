package models

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteTopicCSV writes topic entries as CSV for spreadsheets: UTF-8 with a
// byte-order mark, so Excel opens Chinese text correctly. Columns: id,
// time (in loc), openid, text, featured, hidden.
func WriteTopicCSV(w io.Writer, entries []TopicEntry, loc *time.Location) error {
	if _, err := io.WriteString(w, "\xEF\xBB\xBF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "time", "openid", "text", "featured", "hidden"})
	for _, e := range entries {
		_ = cw.Write([]string{strconv.FormatUint(e.ID, 10), e.CreatedAt.In(loc).Format(time.DateTime), e.OpenID,
			csvSafe(e.Text), strconv.FormatBool(e.Featured), strconv.FormatBool(e.Hidden)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a fan's text from running as a spreadsheet formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
