package callback_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// faultyDB is a store whose database the test can take away and bring back.
type faultyDB struct {
	store        *models.Store
	cut, restore func()
	path         string
}

// openFaulty opens a store on driver with a real fault to inject: for
// MariaDB the store talks through a TCP proxy on loopback that the test
// cuts (connections dropped, new ones refused) and restores; for SQLite a
// second connection holds the write lock (BEGIN EXCLUSIVE) until restored.
func openFaulty(t *testing.T, driver string) *faultyDB {
	t.Helper()
	name, dsn := modelstest.DSN(t, driver)
	f := &faultyDB{}
	switch driver {
	case "sqlite":
		f.path = dsn
		f.store = mustOpen(t, name, dsn)
		locker, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { locker.Close() })
		var conn *sql.Conn
		f.cut = func() {
			if conn, err = locker.Conn(context.Background()); err == nil {
				_, err = conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
			}
			if err != nil {
				t.Fatalf("lock the database: %v", err)
			}
		}
		f.restore = func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Fatalf("unlock: %v", err)
			}
			conn.Close()
		}
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		p := newProxy(t, cfg.Addr)
		cfg.Addr = p.addr
		f.store = mustOpen(t, name, cfg.FormatDSN())
		f.cut, f.restore = p.cut, p.restore
	}
	return f
}

func mustOpen(t *testing.T, driver, dsn string) *models.Store {
	t.Helper()
	s, err := models.Open(context.Background(), driver, dsn, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// proxy forwards loopback TCP connections to the database.
type proxy struct {
	t            *testing.T
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { io.Copy(d, c); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
}

// cut drops every connection and refuses new ones.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *proxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen again: %v", err)
	}
	p.serve(ln)
}

// TestDatabaseAwayMessagesAreSpooledAndReplayed takes the database away
// during traffic: the fan's callbacks still answer (WeChat's own timeout
// and retry rules, played by the fake platform, see no failure), nothing
// accepted is lost, and once the database is back every spooled message is
// recorded and answered exactly once, as a customer-service message.
func TestDatabaseAwayMessagesAreSpooledAndReplayed(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			f := openFaulty(t, driver)
			var mu sync.Mutex
			runs := map[string]int{}
			role := roleFunc(func(ctx context.Context, turn *roles.Turn) error {
				if turn.Msg.MsgType == "text" {
					mu.Lock()
					runs[turn.Msg.Content]++
					mu.Unlock()
					turn.Reply(models.TextReply("got " + turn.Msg.Content))
				}
				return nil
			})
			e := newEnv(t, f.store, false, role)
			h := e.Handler
			rec := models.NewRecorder(f.store, models.RecorderOptions{Timeout: 2 * time.Second})
			rec.OnOrphan(h.Orphaned)
			spool, err := callback.OpenSpool(filepath.Join(t.TempDir(), "spool"))
			if err != nil {
				t.Fatal(err)
			}
			h.Recorder, h.Spool, h.RecordWait = rec, spool, time.Second
			ctx, stop := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { defer close(stopped); h.ReplaySpool(ctx, 100*time.Millisecond) }()
			t.Cleanup(func() { stop(); <-stopped; h.Wait(); rec.Close(); spool.Close() })

			const fan = "o_spool"
			fans := []string{fan, "o_spool1", "o_spool2", "o_spool3"}
			for _, f := range fans {
				e.Follow(f)
			}
			if d, err := platform.SendText(context.Background(), e.Acct.AppID, fan, "one"); err != nil || d == nil || d.Text != "got one" {
				t.Fatalf("with the database: %+v %v", d, err)
			}

			// Traffic while the database is away: four fans, three texts each,
			// at once. The fake platform waits 5 s and retries, as WeChat does.
			f.cut()
			var wg sync.WaitGroup
			errs := make(chan error, 3*len(fans))
			for i, f := range fans {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range 3 {
						text := fmt.Sprintf("t%d-%d", i, j)
						d, err := platform.SendText(context.Background(), e.Acct.AppID, f, text)
						switch {
						case err != nil:
							errs <- fmt.Errorf("%s while the database is away: WeChat saw a failure: %w", text, err)
						case d != nil:
							errs <- fmt.Errorf("%s: want success, got %q", text, d.Text)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if t.Failed() {
				t.FailNow()
			}
			if n := counter(h.Metrics.Spooled); n != float64(3*len(fans)) {
				t.Fatalf("spooled %v, want %d", n, 3*len(fans))
			}
			if !spool.Pending() {
				t.Fatal("nothing in the spool")
			}
			f.restore()

			// fivec recovers by itself: every answer reaches its fan.
			want := map[string]bool{}
			for i := range fans {
				for j := range 3 {
					want[fmt.Sprintf("%d got t%d-%d", i, i, j)] = true
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(want) > 0 && time.Now().Before(deadline) {
				for i, f := range fans {
					for _, d := range platform.Inbox(e.Acct.AppID, f) {
						if d.Source == fake.SourceCustom {
							delete(want, fmt.Sprintf("%d %s", i, d.Text))
						}
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(want) > 0 {
				t.Fatalf("never answered after the database came back: %v", want)
			}
			for spool.Pending() && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if spool.Pending() {
				t.Fatal("spool not emptied after the replay")
			}
			// Recorded once each (four follows, thirteen texts), answered
			// once each.
			if n := e.Inbound(); n != int64(len(fans)+1+3*len(fans)) {
				t.Fatalf("%d inbound rows, want %d", n, len(fans)+1+3*len(fans))
			}
			mu.Lock()
			for text, n := range runs {
				if n != 1 {
					t.Errorf("%q handled %d times", text, n)
				}
			}
			if len(runs) != 1+3*len(fans) {
				t.Errorf("%d texts handled, want %d", len(runs), 1+3*len(fans))
			}
			mu.Unlock()
			for _, f := range fans {
				msgs, err := e.Store.Conversation(context.Background(), f, 50)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					if m.Direction == models.DirectionIn && strings.HasPrefix(m.Content, "t") && m.State != models.StateDeferred {
						t.Errorf("%q: state %s, want deferred (answered by customer-service message)", m.Content, m.State)
					}
				}
			}
		})
	}
}

func TestSpoolSurvivesRestartAndTornWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := callback.OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append([]byte("<xml>1</xml>"), time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crash in the middle of a write leaves half a line.
	fh, err := os.OpenFile(filepath.Join(dir, "inbound.spool"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString(`{"at":"2026-01-01T00:00:00Z","raw":"<xml>to`)
	fh.Close()
	s, err = callback.OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append([]byte("<xml>2</xml>"), time.Now()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "inbound.spool"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], `\u003cxml\u003e2`) {
		t.Fatalf("the entry after a torn write is not on its own line: %q", b)
	}
	if !s.Pending() {
		t.Fatal("spool with entries not pending")
	}
	if _, err := callback.OpenSpool(""); err == nil {
		t.Fatal("an empty spool directory was accepted")
	}
}

func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
