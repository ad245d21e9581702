// Package reports benchmarks the report queries on an account of a given
// size (FIVEC_BENCH_MEMBERS, default 100,000; BENCHMARKS.md P6 has the
// 1,000,000 run): every area over the last 30 days, and the Growth report
// once more without migration 18's index, as the baseline the index is
// measured against.
//
//	FIVEC_BENCH_MEMBERS=1000000 go test -run '^$' -bench . -benchmem -count 3 -timeout 60m ./bench/reports | tee reports.txt
package reports

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite", for the bulk load

	"github.com/fivec/fivec/models"
)

// now is the benchmark's clock: the account's history ends here.
var now = time.Date(2030, 6, 1, 4, 0, 0, 0, time.UTC)

func members() int {
	if n, err := strconv.Atoi(os.Getenv("FIVEC_BENCH_MEMBERS")); err == nil && n > 0 {
		return n
	}
	return 100000
}

// seed writes an account of n members with plain multi-row INSERTs (the
// store's own methods would take hours at this size): each member followed
// once in the last 180 days (a third through one of 20 channels, some by
// referral code), one in eight unfollowed, half asked a question, a quarter
// earned points and some spent them, one in ten moved up a level.
func seed(b *testing.B, path string, n int) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	insert := func(table, cols string, rows [][]any) {
		if len(rows) == 0 {
			return
		}
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(rows[0])), ",") + ")"
		q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(ph+",", len(rows)), ",")
		var args []any
		for _, r := range rows {
			args = append(args, r...)
		}
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatalf("%s: %v", table, err)
		}
	}
	const batch = 400
	var mem, msg, pts, chg [][]any
	flush := func(force bool) {
		if force || len(mem) >= batch {
			insert("members", "id, open_id, subscribed, subscribe_scene, first_subscribed_at, last_subscribed_at, unsubscribed_at, level, points, follows, stage, in_conversation, unanswered_run, created_at, updated_at", mem)
			mem = mem[:0]
		}
		if force || len(msg) >= batch {
			insert("messages", "member_id, open_id, direction, msg_type, event, event_key, content, state, unanswered, created_at, updated_at", msg)
			msg = msg[:0]
		}
		if force || len(pts) >= batch {
			insert("points_entries", "member_id, delta, balance, source, reason, idem_key, remaining, created_at", pts)
			pts = pts[:0]
		}
		if force || len(chg) >= batch {
			insert("member_changes", "member_id, field, `from`, `to`, reason, created_at", chg)
			chg = chg[:0]
		}
	}
	words := []string{"会员积分怎么查", "价格多少", "营业时间", "有没有优惠券", "退货流程", "门店地址在哪", "Do you ship abroad?", "签到"}
	for i := 1; i <= n; i++ {
		open := fmt.Sprintf("oBench%08d", i)
		at := now.Add(-time.Duration(i%(180*24*60)) * time.Minute * 1) // spread over 180 days
		scene, key := "", ""
		switch {
		case i%3 == 0:
			scene = fmt.Sprintf("ch%02d", i%20)
		case i%17 == 0:
			scene = fmt.Sprintf("ref_%06d", i%5000)
		}
		if scene != "" {
			key = "qrscene_" + scene
		}
		var gone any
		subscribed := i%8 != 0
		level := models.LevelFollower
		if i%10 == 0 {
			level = models.LevelCurious
		}
		points := int64(0)
		msg = append(msg, []any{i, open, "in", "event", "subscribe", key, "", "none", false, at, at})
		if !subscribed {
			g := at.Add(time.Duration(i%(20*24)) * time.Hour)
			gone = g
			msg = append(msg, []any{i, open, "in", "event", "unsubscribe", "", "", "none", false, g, g})
		}
		if i%2 == 0 {
			t := at.Add(time.Hour)
			msg = append(msg, []any{i, open, "in", "text", "", "", words[i%len(words)], "replied", i%6 == 0, t, t})
		}
		if i%4 == 0 {
			points = 100
			pts = append(pts, []any{i, 100, 100, models.SourceSignIn, "sign-in", "b" + open, 100, at.Add(2 * time.Hour)})
			if i%12 == 0 {
				points = 70
				pts = append(pts, []any{i, -30, 70, models.SourceRedemption, "gift", "r" + open, 0, at.Add(3 * time.Hour)})
			}
		}
		if level != models.LevelFollower {
			chg = append(chg, []any{i, "level", models.LevelFollower, level, "asked", at.Add(time.Hour)})
		}
		mem = append(mem, []any{i, open, subscribed, scene, at, at, gone, level, points, 1, models.StageProspect, false, 0, at, at})
		flush(false)
	}
	flush(true)
	for c := 0; c < 20; c++ {
		insert("channels", "name, scene, permanent, expire_seconds, ticket, url, welcome_points, welcome_tags, created_at",
			[][]any{{fmt.Sprintf("渠道 %d", c), fmt.Sprintf("ch%02d", c), true, 0, "t", "u", 0, "[]", now}})
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkReports(b *testing.B) {
	n := members()
	path := filepath.Join(b.TempDir(), "bench.db")
	open := func() *models.Store {
		s, err := models.Open(context.Background(), "sqlite", path, 10*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		s.Now = func() time.Time { return now }
		return s
	}
	open().Close() // schema
	start := time.Now()
	seed(b, path, n)
	b.Logf("seeded %d members in %s", n, time.Since(start).Round(time.Second))
	s := open()
	defer s.Close()
	loc := time.FixedZone("CST", 8*3600)
	p, err := models.ReportPeriod(now, loc, models.Range30, "", "")
	if err != nil {
		b.Fatal(err)
	}
	run := func(area string) {
		if _, err := s.ReportTables(context.Background(), area, p, models.ReportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, area := range models.ReportAreas {
		b.Run(fmt.Sprintf("%s/members=%d", area, n), func(b *testing.B) {
			for b.Loop() {
				run(area)
			}
		})
	}
	// Baseline: Growth as it would run without migration 18's index.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP INDEX idx_messages_event_created"); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("growth-without-index/members=%d", n), func(b *testing.B) {
		for b.Loop() {
			run(models.AreaGrowth)
		}
	})
}
