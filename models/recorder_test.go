package models_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// batches counts what a Recorder committed, for asserting that batching
// (and the fallback after a failed batch) really happened.
type batches struct {
	mu             sync.Mutex
	largest, fails int
}

func (b *batches) observe(n int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.largest = max(b.largest, n)
	if err != nil {
		b.fails++
	}
}

func TestRecorderConcurrentCallersGetTheirOwnRows(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var seen batches
		r := models.NewRecorder(s, models.RecorderOptions{Linger: 5 * time.Millisecond, Observe: seen.observe})
		defer r.Close()
		const n, fans = 120, 10
		type result struct {
			msg    *models.Message
			member *models.Member
			dup    bool
			err    error
		}
		results := make([]result, 2*n)
		var wg sync.WaitGroup
		for i := range 2 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := i % n // every message is sent twice at once: WeChat's retry
				in := models.Inbound{DedupeKey: fmt.Sprintf("c:%d", k), OpenID: fmt.Sprintf("o_c%d", k%fans),
					MsgType: "text", Content: fmt.Sprintf("text %d", k)}
				if k%fans == 3 && k < fans*3 {
					in = models.Inbound{DedupeKey: in.DedupeKey, OpenID: in.OpenID, MsgType: "event", Event: "subscribe",
						Subscribe: true, Scene: fmt.Sprintf("scene%d", k)}
				}
				var res result
				res.msg, res.member, res.dup, res.err = r.Record(ctx, in)
				results[i] = res
			}()
		}
		wg.Wait()
		if seen.largest < 2 {
			t.Fatalf("largest batch %d: nothing was batched", seen.largest)
		}
		for k := range n {
			a, b := results[k], results[k+n]
			if a.err != nil || b.err != nil {
				t.Fatalf("message %d: %v / %v", k, a.err, b.err)
			}
			if a.dup == b.dup {
				t.Fatalf("message %d: dup %v and %v, want exactly one new", k, a.dup, b.dup)
			}
			if a.msg.ID == 0 || a.msg.ID != b.msg.ID {
				t.Fatalf("message %d: ids %d and %d", k, a.msg.ID, b.msg.ID)
			}
			fresh := a
			if a.dup {
				fresh = b
			}
			stored, err := s.FindMessage(ctx, fresh.msg.ID)
			if err != nil || *stored.DedupeKey != fmt.Sprintf("c:%d", k) {
				t.Fatalf("message %d: id %d holds %v (%v)", k, fresh.msg.ID, stored.DedupeKey, err)
			}
			want := fmt.Sprintf("o_c%d", k%fans)
			if fresh.member == nil || fresh.member.OpenID != want || fresh.msg.MemberID != fresh.member.ID {
				t.Fatalf("message %d: member %+v, msg.MemberID %d", k, fresh.member, fresh.msg.MemberID)
			}
		}
		if got, _ := s.CountMessages(ctx, models.DirectionIn); got != n {
			t.Fatalf("%d rows, want %d", got, n)
		}
		m, err := s.FindMemberByOpenID(ctx, "o_c3")
		if err != nil || m.Follows != 3 || !m.Subscribed || m.SubscribeScene == "" {
			t.Fatalf("fan with 3 follows: %+v %v", m, err)
		}
	})
}

func TestRecorderFinishesInBatches(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var seen batches
		r := models.NewRecorder(s, models.RecorderOptions{Linger: 5 * time.Millisecond, Observe: seen.observe})
		defer r.Close()
		const n = 40
		msgs := make([]*models.Message, n)
		members := make([]*models.Member, n)
		for i := range n {
			var err error
			// Two messages per fan; fan o_f0 already has a run of 2.
			msgs[i], members[i], _, err = r.Record(ctx, models.Inbound{DedupeKey: fmt.Sprint("f:", i), OpenID: fmt.Sprint("o_f", i/2), MsgType: "text"})
			if err != nil {
				t.Fatal(err)
			}
		}
		conv, _, err := s.Escalate(ctx, members[0].ID, members[0].OpenID, models.ReasonKeyword)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := models.Answer{MemberID: members[i].ID, State: models.StateNone, Unanswered: true, Run: models.RunAdd}
				if i%4 == 1 { // the second message of every other fan was answered
					a = models.Answer{MemberID: members[i].ID, State: models.StateReplied, Run: models.RunReset,
						Replies: []models.Reply{models.TextReply(fmt.Sprint("answer ", i))}}
				}
				if i == 0 {
					a.ConversationID = conv.ID
				}
				errs[i] = r.Finish(ctx, msgs[i].ID, a)
			}()
		}
		wg.Wait()
		if seen.largest < 2 {
			t.Fatalf("largest batch %d: nothing was batched", seen.largest)
		}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("finish %d: %v", i, errs[i])
			}
			m, err := s.FindMessage(ctx, msgs[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			rs, _ := m.DecodedReplies()
			switch {
			case i%4 == 1 && (m.State != models.StateReplied || len(rs) != 1 || rs[0].Text != fmt.Sprint("answer ", i) || m.Unanswered):
				t.Fatalf("message %d: %+v", i, m)
			case i%4 != 1 && (m.State != models.StateNone || !m.Unanswered || len(rs) != 0):
				t.Fatalf("message %d: %+v", i, m)
			}
		}
		// Runs: fans with an answered message may end at 0 or 1 (the two
		// answers raced), the others at exactly 2.
		for f := range n / 2 {
			m, _ := s.FindMemberByOpenID(ctx, fmt.Sprint("o_f", f))
			if (f%2 == 1 && m.UnansweredRun != 2) || (f%2 == 0 && m.UnansweredRun > 1) {
				t.Fatalf("fan %d: unanswered run %d", f, m.UnansweredRun)
			}
		}
		c, _ := s.FindConversation(ctx, conv.ID)
		if c.LastFanAt == nil || !c.UpdatedAt.After(conv.CreatedAt.Add(-time.Second)) {
			t.Fatalf("conversation not noted: %+v", c)
		}
		// A late writer cannot overwrite a finished answer.
		if err := r.Finish(ctx, msgs[1].ID, models.Answer{State: models.StateDeferred}); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.FindMessage(ctx, msgs[1].ID); m.State != models.StateReplied {
			t.Fatalf("finished answer overwritten: %s", m.State)
		}
	})
}

// plantPoison makes the database refuse any message whose content is
// "poison", so a batch holding one fails as a whole.
func plantPoison(t *testing.T, s *models.Store) {
	q := "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.content = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
	if s.Driver() == "mysql" {
		q = "CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW BEGIN IF NEW.content = 'poison' THEN " +
			"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned row'; END IF; END"
	}
	if err := models.ExecForTest(s, q); err != nil {
		t.Fatalf("plant trigger: %v", err)
	}
}

func TestRecorderFailedBatchFailsOnlyTheBadRow(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		plantPoison(t, s)
		var seen batches
		r := models.NewRecorder(s, models.RecorderOptions{Linger: 20 * time.Millisecond, Observe: seen.observe})
		defer r.Close()
		const n = 30
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				content := fmt.Sprint("fine ", i)
				if i == 7 {
					content = "poison"
				}
				_, _, _, errs[i] = r.Record(ctx, models.Inbound{DedupeKey: fmt.Sprint("p:", i), OpenID: fmt.Sprint("o_p", i%5), MsgType: "text", Content: content})
			}()
		}
		wg.Wait()
		if seen.fails == 0 {
			t.Fatalf("no batch failed (largest %d): the poison row was never batched with others", seen.largest)
		}
		for i, err := range errs {
			if (i == 7) != (err != nil) {
				t.Fatalf("op %d: err = %v", i, err)
			}
		}
		if got, _ := s.CountMessages(ctx, models.DirectionIn); got != n-1 {
			t.Fatalf("%d rows stored, want %d", got, n-1)
		}
	})
}

func TestRecorderClosedDatabaseFailsEveryCaller(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		r := models.NewRecorder(s, models.RecorderOptions{Timeout: 5 * time.Second})
		defer r.Close()
		s.Close()
		var wg sync.WaitGroup
		var failed atomic.Int32
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg, _, _, err := r.Record(ctx, models.Inbound{DedupeKey: fmt.Sprint("x:", i), OpenID: "o_x", MsgType: "text"})
				if err != nil && msg == nil {
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
		if failed.Load() != 20 {
			t.Fatalf("%d of 20 callers got an error from a closed database", failed.Load())
		}
	})
}

func TestRecorderCloseDrainsTheQueue(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		// A long linger holds the queue open so that Close finds it full.
		r := models.NewRecorder(s, models.RecorderOptions{Linger: 10 * time.Second, MaxBatch: 1000})
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _, errs[i] = r.Record(ctx, models.Inbound{DedupeKey: fmt.Sprint("d:", i), OpenID: fmt.Sprint("o_d", i), MsgType: "text"})
			}()
		}
		time.Sleep(200 * time.Millisecond) // let them queue
		r.Close()
		wg.Wait()
		for i, err := range errs {
			if err != nil && !errors.Is(err, models.ErrRecorderClosed) {
				t.Fatalf("op %d: %v", i, err)
			}
		}
		stored, _ := s.CountMessages(ctx, models.DirectionIn)
		accepted := 0
		for _, err := range errs {
			if err == nil {
				accepted++
			}
		}
		if int(stored) != accepted || accepted == 0 {
			t.Fatalf("%d accepted, %d stored", accepted, stored)
		}
		if _, _, _, err := r.Record(ctx, models.Inbound{DedupeKey: "late", OpenID: "o_late", MsgType: "text"}); !errors.Is(err, models.ErrRecorderClosed) {
			t.Fatalf("record after close: %v", err)
		}
	})
}

func TestRecordersOnOneDatabaseDedupeAcrossProcesses(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			r1 := models.NewRecorder(s1, models.RecorderOptions{Linger: 5 * time.Millisecond})
			r2 := models.NewRecorder(s2, models.RecorderOptions{Linger: 5 * time.Millisecond})
			defer r1.Close()
			defer r2.Close()
			const n = 40
			type res struct {
				id  uint64
				dup bool
				err error
			}
			out := make([]res, 2*n)
			var wg sync.WaitGroup
			for i := range 2 * n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := r1
					if i >= n {
						r = r2
					}
					msg, _, dup, err := r.Record(ctx, models.Inbound{DedupeKey: fmt.Sprint("s:", i%n), OpenID: fmt.Sprint("o_s", i%n%7), MsgType: "text"}) // a retry: same sender
					if err == nil {
						out[i] = res{msg.ID, dup, nil}
					} else {
						out[i] = res{err: err}
					}
				}()
			}
			wg.Wait()
			for k := range n {
				a, b := out[k], out[k+n]
				if a.err != nil || b.err != nil || a.dup == b.dup || a.id != b.id || a.id == 0 {
					t.Fatalf("message %d: %+v / %+v", k, a, b)
				}
			}
			if got, _ := s1.CountMessages(ctx, models.DirectionIn); got != n {
				t.Fatalf("%d rows, want %d", got, n)
			}
		})
	}
}

// TestRecorderAbandonedRecords: a caller that stops waiting gets
// ErrRecordTimeout. Its message is then either never written (it was still
// queued) or, if its batch was already being committed, handed to the
// orphan handler once committed, so that it is answered exactly once.
func TestRecorderAbandonedRecords(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s, name, dsn := openWithDSN(t, driver)
			ctx := context.Background()
			if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "seed", OpenID: "o_lock", MsgType: "text"}); err != nil {
				t.Fatal(err)
			}
			lock := holdLock(t, name, dsn, "SELECT id FROM members WHERE open_id = 'o_lock' FOR UPDATE")
			orphans := make(chan *models.Message, 4)
			r := models.NewRecorder(s, models.RecorderOptions{Timeout: 20 * time.Second})
			r.OnOrphan(func(m *models.Message, _ *models.Member) { orphans <- m })
			defer r.Close()
			record := func(key string) error {
				wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				_, _, _, err := r.Record(wctx, models.Inbound{DedupeKey: key, OpenID: "o_lock", MsgType: "text"})
				return err
			}
			if err := record("in-flight"); !errors.Is(err, models.ErrRecordTimeout) {
				t.Fatalf("in-flight record: %v", err)
			}
			if err := record("queued"); !errors.Is(err, models.ErrRecordTimeout) {
				t.Fatalf("queued record: %v", err)
			}
			if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			select {
			case m := <-orphans:
				if *m.DedupeKey != "in-flight" || m.ID == 0 {
					t.Fatalf("orphan: %+v", m)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the committed in-flight message was never handed over")
			}
			// After the batcher is free, a new record works and the queued,
			// abandoned one was never written.
			if _, _, _, err := r.Record(ctx, models.Inbound{DedupeKey: "after", OpenID: "o_lock", MsgType: "text"}); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.CountMessages(ctx, models.DirectionIn); n != 3 {
				t.Fatalf("%d rows, want 3 (seed, in-flight, after)", n)
			}
			select {
			case m := <-orphans:
				t.Fatalf("second orphan: %+v", m)
			default:
			}
		})
	}
}

// The platform's own sender (mphelper's MASSSENDJOBFINISH) is recorded in
// the message log but never becomes a member, also inside a batch of fans'
// messages.
func TestRecorderBatchLeavesThePlatformSenderOut(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var seen batches
		r := models.NewRecorder(s, models.RecorderOptions{Linger: 20 * time.Millisecond, Observe: seen.observe})
		defer r.Close()
		var wg sync.WaitGroup
		const n = 120
		errs := make([]error, n)
		members := make([]*models.Member, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := models.Inbound{DedupeKey: fmt.Sprintf("p:%d", i), OpenID: fmt.Sprintf("o_p%d", i), MsgType: "text", Content: "hi"}
				if i%10 == 4 {
					in = models.Inbound{DedupeKey: fmt.Sprintf("p:mass%d", i), OpenID: "mphelper", MsgType: "event", Event: "MASSSENDJOBFINISH", Platform: true}
				}
				_, members[i], _, errs[i] = r.Record(ctx, in)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if (members[i] == nil) != (i%10 == 4) {
				t.Fatalf("record %d: member %+v", i, members[i])
			}
		}
		if _, err := s.FindMemberByOpenID(ctx, "mphelper"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("mphelper became a member: %v", err)
		}
		if seen.largest < 2 {
			t.Fatalf("largest batch %d: nothing was batched", seen.largest)
		}
	})
}

// holdLock makes another connection hold what a batch needs: the SQLite
// write lock, or on MySQL the rows mysqlLock locks. ROLLBACK on the
// returned connection releases it.
func holdLock(t *testing.T, driver, dsn, mysqlLock string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	locker, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close() })
	lock, err := locker.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	stmts := []string{"BEGIN EXCLUSIVE"}
	if driver == "mysql" {
		stmts = []string{"BEGIN", mysqlLock}
	}
	for _, q := range stmts {
		if _, err := lock.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return lock
}

// TestRecorderKeepsAnswersTheDatabaseFailed: a callback that cannot wait
// for its answer to be stored gets ErrFinishPending, and the answer is
// stored once the database takes writes again.
func TestRecorderKeepsAnswersTheDatabaseFailed(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s, name, dsn := openWithDSN(t, driver)
			ctx := context.Background()
			msg, member, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "k", OpenID: "o_fin", MsgType: "text"})
			if err != nil {
				t.Fatal(err)
			}
			lock := holdLock(t, name, dsn, "SELECT id FROM messages FOR UPDATE")
			r := models.NewRecorder(s, models.RecorderOptions{Timeout: 500 * time.Millisecond})
			defer r.Close()
			wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			err = r.Finish(wctx, msg.ID, models.Answer{MemberID: member.ID, State: models.StateReplied,
				Replies: []models.Reply{models.TextReply("kept")}})
			if !errors.Is(err, models.ErrFinishPending) {
				t.Fatalf("finish while locked: %v", err)
			}
			time.Sleep(time.Second) // at least one failed attempt
			if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if m, err := s.FindMessage(ctx, msg.ID); err == nil && m.State == models.StateReplied {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatal("the answer was never stored after the database came back")
		})
	}
}

// openWithDSN opens a fresh store on driver and returns its DSN too, for a
// second connection.
func openWithDSN(t *testing.T, driver string) (*models.Store, string, string) {
	t.Helper()
	name, dsn := modelstest.DSN(t, driver)
	s, err := models.Open(context.Background(), name, dsn, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, name, dsn
}
