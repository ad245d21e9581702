package models

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Recorder commits the message-log writes of concurrent callbacks together:
// one goroutine takes every inbound message (and later its answer) handed
// to it, and commits what has queued up in one transaction with multi-row
// statements. Each caller still waits until its own row is committed, so
// "record first" holds; only the cost of a statement and a commit is shared.
//
// With one callback at a time a batch holds one row and costs what the
// direct Store methods cost. Under load, rows queue while a batch commits,
// so the next batch is larger: the batch size follows the load without a
// timer (Linger adds one, for databases where a commit is cheap).
//
// A batch that fails (a bad row, a lost connection, a duplicate key from
// another process) is rolled back and each of its operations is run again
// on its own, so exactly the operations that fail get an error and nothing
// is dropped silently.
type Recorder struct {
	s    *Store
	opts RecorderOptions
	ops  chan *recOp
	done chan struct{}

	mu     sync.RWMutex // held for reading while submitting; Close takes it
	closed bool
	orphan func(*Message, *Member)
}

// OnOrphan sets what happens to a message that was committed after its
// callback stopped waiting (Record's context ended while its batch was
// being committed): the callback spooled it, and the replay will find it
// recorded, so fn must run its pipeline. Set it before the first Record.
func (r *Recorder) OnOrphan(fn func(*Message, *Member)) { r.orphan = fn }

// ErrRecordTimeout is returned by Record when its context ended before the
// message was committed.
var ErrRecordTimeout = Errorf(EINTERNAL, "the database did not record the message in time")

// RecorderOptions tune a Recorder. Zero values take the defaults.
type RecorderOptions struct {
	// MaxBatch is the most operations one transaction takes (default 128;
	// 1 commits every operation on its own).
	MaxBatch int
	// Linger is how long a batch waits for more operations once the first
	// arrived, when the previous batch held more than one (there is
	// concurrency to wait for; a lone callback never waits). 0 takes only
	// what is already queued.
	Linger time.Duration
	// Timeout bounds one batch's transaction (default 10s).
	Timeout time.Duration
	// Observe, if set, is told the size and outcome of every committed or
	// failed batch (metrics).
	Observe func(ops int, err error)
	// Log, if set, reports answers given up on after finishGiveUp.
	Log *slog.Logger
}

// ErrRecorderClosed is returned for operations handed to a closed Recorder.
var ErrRecorderClosed = Errorf(EINTERNAL, "the message recorder is shut down")

// recOp is one queued operation: a record (in) or a finish (fin).
type recOp struct {
	in    *Inbound
	fin   *finishOp
	done  chan struct{}
	state atomic.Int32 // opQueued → opTaken → opDone, or abandoned by its caller
	// results, set by the batcher before done is closed
	msg      *Message
	member   *Member
	dup      bool
	err      error
	twin     *recOp    // an earlier op of the same batch with the same dedupe key
	failedAt time.Time // a finish: when the database first failed it
}

// States of a record operation. A caller whose context ends first
// abandons its operation: one still queued is never written (the caller
// spools the message instead); one already in a batch may be committed,
// and is then handed to the orphan handler, so that it is answered once.
const (
	opQueued int32 = iota
	opTaken
	opDone
	opAbandoned      // before a batch took it: not written
	opTakenAbandoned // while in a batch: written or not
)

type finishOp struct {
	id uint64
	a  Answer
}

// NewRecorder starts a recorder on s. Close it before closing the store.
func NewRecorder(s *Store, opts RecorderOptions) *Recorder {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	r := &Recorder{s: s, opts: opts, ops: make(chan *recOp, opts.MaxBatch), done: make(chan struct{})}
	go r.loop()
	return r
}

// Record is Store.RecordInbound through the batcher: it returns once the
// message row (and its sender) is committed, or with the error that kept it
// from being committed.
func (r *Recorder) Record(ctx context.Context, in Inbound) (msg *Message, member *Member, dup bool, err error) {
	if err := in.check(); err != nil {
		return nil, nil, false, err
	}
	op := &recOp{in: &in}
	if err := r.submit(ctx, op); err != nil {
		return nil, nil, false, err
	}
	select {
	case <-op.done:
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opAbandoned) || op.state.CompareAndSwap(opTaken, opTakenAbandoned) {
			return nil, nil, false, ErrRecordTimeout
		}
		<-op.done // it has just been committed
	}
	return op.msg, op.member, op.dup, op.err
}

// ErrFinishPending is returned by Finish when its context ended before the
// answer was committed; the answer stays queued and is stored later.
var ErrFinishPending = Errorf(EINTERNAL, "the answer is not stored yet; it will be")

// Finish is Store.FinishInbound through the batcher. If ctx ends first it
// returns ErrFinishPending and the answer is still stored when the
// database takes it (a callback must answer WeChat in time): an answer
// the database fails is tried again every second for 10 minutes.
func (r *Recorder) Finish(ctx context.Context, id uint64, a Answer) error {
	op := &recOp{fin: &finishOp{id: id, a: a}}
	if err := r.submit(ctx, op); err != nil {
		return err
	}
	select {
	case <-op.done:
		return op.err
	case <-ctx.Done():
		return ErrFinishPending
	}
}

// submit queues op; the caller then waits for op.done.
func (r *Recorder) submit(ctx context.Context, op *recOp) error {
	op.done = make(chan struct{})
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrRecorderClosed
	}
	select {
	case r.ops <- op:
	case <-ctx.Done():
		r.mu.RUnlock()
		return ctx.Err()
	}
	r.mu.RUnlock()
	return nil
}

// Close stops taking operations, commits every queued one and returns when
// the batcher has finished.
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.ops)
	}
	r.mu.Unlock()
	<-r.done
}

// Answers the database could not take are tried again every finishRetry
// for finishGiveUp; then they are reported lost (Options.Log).
const (
	finishRetry  = time.Second
	finishGiveUp = 10 * time.Minute
)

func (r *Recorder) loop() {
	defer close(r.done)
	batch := make([]*recOp, 0, r.opts.MaxBatch)
	var retry []*recOp
	var retryAt <-chan time.Time
	busy := false
	for {
		select {
		case op, ok := <-r.ops:
			if !ok {
				if len(retry) > 0 {
					r.giveUp(r.commit(retry)) // one last try
				}
				return
			}
			if !op.take() {
				continue
			}
			batch = r.gather(append(batch[:0], op), busy)
		case <-retryAt:
			batch = r.gather(append(batch[:0], retry...), false)
			retry, retryAt = nil, nil
		}
		busy = len(batch) > 1
		for _, op := range r.commit(batch) {
			if time.Since(op.failedAt) < finishGiveUp {
				retry = append(retry, op)
			} else {
				r.giveUp([]*recOp{op})
			}
		}
		if len(retry) > 0 && retryAt == nil {
			retryAt = time.After(finishRetry)
		}
		clear(batch)
	}
}

// giveUp completes answers that could not be stored.
func (r *Recorder) giveUp(ops []*recOp) {
	for _, op := range ops {
		if r.opts.Log != nil {
			r.opts.Log.Error("answer to an inbound message could not be stored", "msg", op.fin.id, "err", op.err)
		}
		close(op.done)
	}
}

// gather adds what is queued (and, with Linger when busy, what arrives
// meanwhile).
func (r *Recorder) gather(batch []*recOp, busy bool) []*recOp {
	var linger <-chan time.Time
	if r.opts.Linger > 0 && busy {
		t := time.NewTimer(r.opts.Linger)
		defer t.Stop()
		linger = t.C
	}
	for len(batch) < r.opts.MaxBatch {
		select {
		case op, ok := <-r.ops:
			if !ok {
				return batch
			}
			if op.take() {
				batch = append(batch, op)
			}
			continue
		default:
		}
		if linger == nil {
			return batch
		}
		select {
		case op, ok := <-r.ops:
			if !ok {
				return batch
			}
			if op.take() {
				batch = append(batch, op)
			}
		case <-linger:
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction; if that fails, each operation on
// its own, so that only the failing ones report an error. Answers (finish
// operations) that failed because the database failed the whole batch are
// not completed but returned, to be tried again: the callback that handed
// one over may have answered WeChat already.
func (r *Recorder) commit(batch []*recOp) (retry []*recOp) {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.Timeout)
	defer cancel()
	err := r.s.applyOps(ctx, batch)
	if r.opts.Observe != nil {
		r.opts.Observe(len(batch), err)
	}
	// Op by op only while there is time left: a database that made the
	// batch run out of time would make every op wait as long again.
	whole := err != nil // the database failed everything (not one bad op)
	if err != nil && len(batch) > 1 && ctx.Err() == nil {
		for _, op := range batch {
			op.err = r.s.applyOps(ctx, []*recOp{op})
			whole = whole && op.err != nil
		}
	} else {
		for _, op := range batch {
			op.err = err
		}
	}
	for _, op := range batch {
		if op.fin != nil && op.err != nil && whole {
			if op.failedAt.IsZero() {
				op.failedAt = time.Now()
			}
			retry = append(retry, op)
			continue
		}
		if op.err != nil {
			op.msg, op.member, op.dup = nil, nil, false
			op.err = translate(op.name(), op.err)
		}
		if !op.state.CompareAndSwap(opTaken, opDone) && op.err == nil && op.in != nil && !op.dup && r.orphan != nil {
			r.orphan(op.msg, op.member) // its caller gave up waiting
		}
		close(op.done)
	}
	return retry
}

// take claims a queued op for a batch; false: its caller abandoned it.
func (op *recOp) take() bool {
	return op.fin != nil || op.state.CompareAndSwap(opQueued, opTaken)
}

func (op *recOp) name() string {
	if op.in != nil {
		return "record inbound"
	}
	return "finish inbound"
}

// applyOps runs ops in one transaction: first the records, then the
// finishes. It may run again after a deadlock, so it sets every result
// afresh.
func (s *Store) applyOps(ctx context.Context, ops []*recOp) error {
	var recs, fins []*recOp
	for _, op := range ops {
		op.msg, op.member, op.dup, op.twin = nil, nil, false, nil
		if op.in != nil {
			recs = append(recs, op)
		} else {
			fins = append(fins, op)
		}
	}
	if len(recs) == 0 && len(fins) == 1 {
		// One UPDATE (or two): no transaction needed, as FinishInbound.
		return s.finishMany(s.db.WithContext(ctx), fins, s.now())
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if err := s.recordMany(tx, recs, now); err != nil {
			return err
		}
		return s.finishMany(tx, fins, now)
	})
}

// errBatchDuplicate ends a batch whose multi-row insert met a key that
// exists already: the batch is rolled back and run op by op, where the
// duplicate is an ordinary retry.
var errBatchDuplicate = errors.New("duplicate dedupe key in batch")

// recordMany inserts the messages of recs with one multi-row INSERT, upserts
// their senders with as few statements as the mix allows and reads them
// back with one SELECT.
func (s *Store) recordMany(tx *gorm.DB, recs []*recOp, now time.Time) error {
	switch len(recs) {
	case 0:
		return nil
	case 1:
		op := recs[0]
		var err error
		op.msg, op.member, op.dup, err = recordOne(tx, *op.in, now)
		return err
	}
	first := make(map[string]*recOp, len(recs))
	fresh := make([]*recOp, 0, len(recs))
	changes := make([]memberChange, 0, len(recs))
	for _, op := range recs {
		if f := first[op.in.DedupeKey]; f != nil {
			if !sameInbound(*f.in, *op.in) {
				// Two messages under one key: op by op, recordOne
				// gives the second a key of its own.
				return errBatchDuplicate
			}
			op.twin = f // the same message twice in one batch: a retry
			continue
		}
		first[op.in.DedupeKey] = op
		fresh = append(fresh, op)
		if !op.in.Platform { // the platform's own sender (mphelper) is no member
			changes = append(changes, op.in.change(now))
		}
	}
	// The senders first, so each message row is written once, with its
	// member. The INSERT below is still the dedupe: if it meets a key that
	// exists, the whole batch (these member writes too) is rolled back.
	members, err := touchMembers(tx, changes)
	if err != nil {
		return err
	}
	msgs := make([]Message, len(fresh))
	for i, op := range fresh {
		msgs[i] = newInboundMessage(*op.in, now)
		if op.in.Platform {
			continue
		}
		m := members[op.in.OpenID]
		if m == nil {
			return Errorf(EINTERNAL, "member %s missing after upsert", op.in.OpenID)
		}
		own := *m // the pipeline changes its member; every turn has its own
		op.member = &own
		msgs[i].MemberID = m.ID
	}
	if err := tx.Create(&msgs).Error; err != nil {
		if isDuplicate(err) {
			return errBatchDuplicate
		}
		return err
	}
	if s.driver == "mysql" || msgs[0].ID == 0 || msgs[len(msgs)-1].ID == 0 {
		// MySQL reports only the first id of a multi-row insert; ids of one
		// statement need not be consecutive, so read them by key.
		if err := fillIDs(tx, msgs); err != nil {
			return err
		}
	}
	for i, op := range fresh {
		op.msg = &msgs[i]
	}
	for _, op := range recs {
		if op.twin != nil {
			stored := *op.twin.msg
			op.msg, op.dup = &stored, true
		}
	}
	return nil
}

// sameInbound reports whether b is a retry of a (see Message.sameAs).
func sameInbound(a, b Inbound) bool {
	return a.OpenID == b.OpenID && a.MsgType == b.MsgType && a.Event == b.Event &&
		a.EventKey == b.EventKey && a.Content == b.Content
}

func fillIDs(tx *gorm.DB, msgs []Message) error {
	keys := make([]string, len(msgs))
	for i := range msgs {
		keys[i] = *msgs[i].DedupeKey
	}
	var rows []struct {
		ID        uint64
		DedupeKey string
	}
	if err := tx.Model(&Message{}).Select("id", "dedupe_key").Where("dedupe_key IN ?", keys).Find(&rows).Error; err != nil {
		return err
	}
	ids := make(map[string]uint64, len(rows))
	for _, r := range rows {
		ids[r.DedupeKey] = r.ID
	}
	for i := range msgs {
		if msgs[i].ID = ids[keys[i]]; msgs[i].ID == 0 {
			return Errorf(EINTERNAL, "message %s missing after insert", keys[i])
		}
	}
	return nil
}
