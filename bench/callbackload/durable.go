package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/glebarez/go-sqlite" // driver "sqlite", the one fivec uses through github.com/glebarez/sqlite
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

// targetDurableEcho names the echo that records every message first.
const targetDurableEcho = "durable-echo"

// durableEcho is the baseline echo plus the least a dedupe-and-record-first
// pipeline must do: before answering, the message is inserted under its
// dedupe key into one SQLite table, and the handler waits for the commit.
// No member, no index but the key's, no pipeline, no stored answer: what
// fivec must do on top of the echo costs at least this.
type durableEcho struct {
	http.Handler
	db  *sql.DB
	rec *recorder
}

// openDurableEcho creates the SQLite database at path (pure-Go driver, one
// connection, fivec's pragmas) and returns the recording echo for acct.
// Close releases it.
func openDurableEcho(acct fake.Account, path string) (*durableEcho, error) {
	db, err := sql.Open("sqlite", models.SQLiteDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // as fivec: SQLite has one writer
	const schema = `CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY,
		dedupe_key TEXT NOT NULL UNIQUE, open_id TEXT NOT NULL, content TEXT, created_at INTEGER)`
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("durable-echo: create table: %w", err)
	}
	rec, err := newRecorder(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	d := &durableEcho{db: db, rec: rec}
	oa := newEchoAccount(acct)
	d.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := oa.GetServer(r, w)
		var recErr error
		srv.SetMessageHandler(func(msg *message.MixMessage) *message.Reply {
			// A nil reply would make Serve answer "success" in plain mode,
			// so the echo is built either way and only sent once recorded.
			recErr = rec.Record(r.Context(), recordOf(msg))
			return echoReply(msg)
		})
		if err := srv.Serve(); err != nil {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		if recErr != nil {
			http.Error(w, "not recorded: "+recErr.Error(), http.StatusInternalServerError)
			return
		}
		_ = srv.Send()
	})
	return d, nil
}

// Close stops the writer once the queued rows are committed, then closes
// the database.
func (d *durableEcho) Close() error {
	d.rec.Close()
	return d.db.Close()
}

// row is one message to record.
type row struct {
	key, openID, content string
	createdAt            int64 // Unix milliseconds, when handed to the recorder
}

// recordOf is msg's row: dedupe key "msg:<MsgId>" for a message,
// "evt:<from>:<createtime>:<event>:<eventkey>" for an event.
func recordOf(msg *message.MixMessage) row {
	from := string(msg.FromUserName)
	key := "msg:" + strconv.FormatInt(msg.MsgID, 10)
	if msg.MsgID == 0 {
		key = "evt:" + from + ":" + strconv.FormatInt(msg.CreateTime, 10) + ":" + string(msg.Event) + ":" + msg.EventKey
	}
	return row{key: key, openID: from, content: msg.Content, createdAt: time.Now().UnixMilli()}
}

// maxBatch is the most rows one transaction takes (fivec's RecordBatch
// default).
const maxBatch = 128

// recorder is a group commit: one writer goroutine takes whatever rows are
// queued (up to maxBatch), inserts them with one multi-row INSERT in one
// transaction and then wakes their handlers. There is no linger timer: under
// load rows queue while a batch commits, so batches grow with the load.
// A duplicate key is ignored (the first row stands); a failed batch fails
// every row in it.
//
// The writer issues BEGIN IMMEDIATE / COMMIT itself on a pinned connection
// with statements prepared once and no context deadline: database/sql's Tx
// and a cancellable context each add a goroutine per transaction or
// statement, and the floor should not pay for them.
type recorder struct {
	conn  *sql.Conn
	begin *sql.Stmt
	end   *sql.Stmt
	// inserts[n-1] inserts n rows, prepared on first use.
	inserts [maxBatch]*sql.Stmt
	queue   chan *recordOp
	done    chan struct{}

	mu     sync.RWMutex // held for reading while submitting; Close takes it
	closed bool
}

// recordOp is one queued row and where its outcome goes.
type recordOp struct {
	row  row
	done chan error // buffered: the writer never waits for the handler
}

// errRecorderClosed answers rows handed to a closed recorder.
var errRecorderClosed = errors.New("durable-echo: recorder closed")

func newRecorder(db *sql.DB) (*recorder, error) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	r := &recorder{conn: conn, queue: make(chan *recordOp, maxBatch), done: make(chan struct{})}
	if r.begin, err = conn.PrepareContext(ctx, "BEGIN IMMEDIATE"); err == nil {
		r.end, err = conn.PrepareContext(ctx, "COMMIT")
	}
	if err != nil {
		r.closeStmts()
		conn.Close()
		return nil, fmt.Errorf("durable-echo: prepare: %w", err)
	}
	go r.loop()
	return r, nil
}

// Record hands rw to the writer and returns once it is committed (or was a
// duplicate), or with the error that kept it from being committed.
func (r *recorder) Record(ctx context.Context, rw row) error {
	op := &recordOp{row: rw, done: make(chan error, 1)}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return errRecorderClosed
	}
	select {
	case r.queue <- op:
	case <-ctx.Done():
		r.mu.RUnlock()
		return ctx.Err()
	}
	r.mu.RUnlock()
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking rows, commits the queued ones and returns when the
// writer has finished.
func (r *recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	<-r.done
}

func (r *recorder) loop() {
	defer close(r.done)
	defer r.conn.Close()
	defer r.closeStmts()
	batch := make([]*recordOp, 0, maxBatch)
	for op := range r.queue {
		batch = append(batch[:0], op)
	more:
		for len(batch) < maxBatch {
			select {
			case op, ok := <-r.queue:
				if !ok {
					break more
				}
				batch = append(batch, op)
			default:
				break more
			}
		}
		err := r.commit(batch)
		for _, op := range batch {
			op.done <- err
		}
		clear(batch)
	}
}

// commit inserts batch in one transaction.
func (r *recorder) commit(batch []*recordOp) error {
	ctx := context.Background()
	ins, err := r.insert(len(batch))
	if err != nil {
		return err
	}
	args := make([]any, 0, 4*len(batch))
	for _, op := range batch {
		args = append(args, op.row.key, op.row.openID, op.row.content, op.row.createdAt)
	}
	if _, err := r.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("durable-echo: begin: %w", err)
	}
	if _, err = ins.ExecContext(ctx, args...); err == nil {
		_, err = r.end.ExecContext(ctx)
	}
	if err != nil {
		_, _ = r.conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("durable-echo: record %d rows: %w", len(batch), err)
	}
	return nil
}

// insert returns the statement inserting n rows, preparing it on first use.
func (r *recorder) insert(n int) (*sql.Stmt, error) {
	if s := r.inserts[n-1]; s != nil {
		return s, nil
	}
	q := "INSERT INTO messages (dedupe_key, open_id, content, created_at) VALUES (?, ?, ?, ?)" +
		strings.Repeat(", (?, ?, ?, ?)", n-1) + " ON CONFLICT(dedupe_key) DO NOTHING"
	s, err := r.conn.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, fmt.Errorf("durable-echo: prepare insert of %d rows: %w", n, err)
	}
	r.inserts[n-1] = s
	return s, nil
}

func (r *recorder) closeStmts() {
	for _, s := range append(r.inserts[:], r.begin, r.end) {
		if s != nil {
			s.Close()
		}
	}
}
