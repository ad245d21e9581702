package callback

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// Spool is the callback's fallback when the database is away: an
// append-only file of the raw (decrypted) messages that could not be
// recorded. Each entry is fsync'ed before the callback answers, so what
// WeChat was told "success" for survives a crash; Handler.ReplaySpool feeds
// the entries back through the normal record and pipeline path once the
// database answers again (dedupe makes a replay of a recorded message
// harmless).
//
// One process per directory: replicas need their own FIVEC_SPOOL_DIR.
type Spool struct {
	dir string

	mu sync.Mutex
	f  *os.File // inbound.spool, open for appending
}

// spoolEntry is one line of the spool file.
type spoolEntry struct {
	At  time.Time `json:"at"`
	Raw string    `json:"raw"` // the message's plaintext XML
}

const (
	spoolFile     = "inbound.spool"
	replayingFile = "inbound.replaying"
)

// OpenSpool opens (creating it if needed) the spool in dir.
func OpenSpool(dir string) (*Spool, error) {
	if dir == "" {
		return nil, errors.New("FIVEC_SPOOL_DIR: empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("FIVEC_SPOOL_DIR: %w", err)
	}
	s := &Spool{dir: dir}
	if err := s.open(); err != nil {
		return nil, fmt.Errorf("FIVEC_SPOOL_DIR: %w", err)
	}
	return s, nil
}

// open opens the spool file for appending. A write cut short by a crash
// left no newline; one is added so the next entry starts a line of its own.
func (s *Spool) open() error {
	f, err := os.OpenFile(filepath.Join(s.dir, spoolFile), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return err
			}
		}
	}
	s.f = f
	return nil
}

// Append stores raw durably: it returns once the entry is on disk.
func (s *Spool) Append(raw []byte, at time.Time) error {
	line, err := json.Marshal(spoolEntry{At: at.UTC(), Raw: string(raw)})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if _, err := s.f.Write(line); err != nil {
		return err
	}
	return s.f.Sync()
}

// Pending reports whether entries wait for a replay.
func (s *Spool) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, err := os.Stat(filepath.Join(s.dir, replayingFile)); err == nil && st.Size() > 0 {
		return true
	}
	st, err := os.Stat(filepath.Join(s.dir, spoolFile))
	return err == nil && st.Size() > 0
}

// take returns the entries to replay. A replay that stopped half-way
// (database gone again, crash) left inbound.replaying: it is taken again
// whole. Otherwise the spool file becomes inbound.replaying and new entries
// go to a fresh spool file meanwhile.
func (s *Spool) take() ([]spoolEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	replaying := filepath.Join(s.dir, replayingFile)
	if _, err := os.Stat(replaying); errors.Is(err, fs.ErrNotExist) {
		if st, err := os.Stat(filepath.Join(s.dir, spoolFile)); err != nil || st.Size() == 0 {
			return nil, nil
		}
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
		if err := os.Rename(filepath.Join(s.dir, spoolFile), replaying); err != nil {
			return nil, err
		}
		if err := syncDir(s.dir); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(replaying)
	if err != nil {
		return nil, err
	}
	var out []spoolEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		var e spoolEntry
		// A line that does not parse was cut short by a crash before its
		// fsync returned, so its callback was never answered: WeChat retried.
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Raw != "" {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// done removes the replayed entries.
func (s *Spool) done() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(filepath.Join(s.dir, replayingFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(s.dir)
}

// Close closes the spool file; entries stay for the next start.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// spool keeps a message that could not be recorded, so that the callback
// can answer and the message is recorded later. It reports whether the
// message is kept.
func (h *Handler) spool(in models.Inbound, raw []byte, recordErr error) bool {
	if h.Spool == nil || models.ErrorCode(recordErr) != models.EINTERNAL {
		h.Log.Error("record inbound message", "openid", in.OpenID, "err", recordErr)
		return false
	}
	if err := h.Spool.Append(raw, time.Now()); err != nil {
		h.Log.Error("record inbound message, and spool it", "openid", in.OpenID, "err", recordErr, "spool", err)
		return false
	}
	h.Metrics.Spooled.Inc()
	h.Log.Warn("database unavailable: message spooled", "openid", in.OpenID, "key", in.DedupeKey, "err", recordErr)
	return true
}

// ReplaySpool records spooled messages and runs them through the pipeline
// whenever the database answers, checking every interval until ctx ends.
// Their answers go out as customer-service messages: the callback was
// answered long ago.
func (h *Handler) ReplaySpool(ctx context.Context, every time.Duration) {
	if h.Spool == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if h.Spool.Pending() {
			n, err := h.replay(ctx)
			if n > 0 {
				h.Log.Info("spooled messages replayed", "count", n)
			}
			if err != nil && ctx.Err() == nil {
				h.Log.Warn("spool replay stopped; it retries", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// replay feeds the spool through the record path. It stops at the first
// message it cannot record and leaves the spool whole: the ones already
// recorded are duplicates next time.
func (h *Handler) replay(ctx context.Context) (int, error) {
	if err := h.Store.Ping(ctx); err != nil {
		return 0, err
	}
	entries, err := h.Spool.take()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		var m message.MixMessage
		if err := xml.Unmarshal([]byte(e.Raw), &m); err != nil || m.FromUserName == "" || m.MsgType == "" {
			// It parsed when it was spooled; keep it in the log at least.
			h.Log.Error("spooled message does not parse; dropped", "raw", e.Raw, "err", err)
			continue
		}
		replayed, err := h.replayOne(ctx, &m, []byte(e.Raw))
		if err != nil {
			return n, err
		}
		if replayed {
			n++
			h.Metrics.Replayed.Inc()
		}
	}
	return n, h.Spool.done()
}

// replayOne records one spooled message and, unless it was recorded
// before, runs the pipeline and sends the answer as customer-service
// messages.
func (h *Handler) replayOne(ctx context.Context, m *message.MixMessage, raw []byte) (bool, error) {
	in := inboundOf(m, raw)
	msg, member, dup, err := h.record(ctx, in)
	if err != nil || dup {
		return false, err
	}
	h.Metrics.Messages.WithLabelValues(metricType(m), "replayed").Inc()
	h.answerLate(ctx, m, msg, member)
	return true, nil
}

// answerLate runs the pipeline for a recorded message whose callback was
// answered without it, and sends the answer as customer-service messages.
func (h *Handler) answerLate(ctx context.Context, m *message.MixMessage, msg *models.Message, member *models.Member) {
	turn := &roles.Turn{Msg: m, Inbound: msg, Member: member}
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	h.Pipeline.Run(pctx, turn)
	if err := h.finish(ctx, msg.ID, turn.Answer(models.StateDeferred)); err != nil {
		h.Log.Error("store late reply", "msg", msg.ID, "err", err)
	}
	h.sendLater(string(m.FromUserName), nil, turn.Replies)
}

// Orphaned answers a message the recorder committed after its callback
// had stopped waiting and spooled it (models.Recorder.OnOrphan): the
// replay will find it recorded, so it is answered here, once.
func (h *Handler) Orphaned(msg *models.Message, member *models.Member) {
	var m message.MixMessage
	if err := xml.Unmarshal([]byte(msg.Raw), &m); err != nil {
		h.Log.Error("orphaned message does not parse", "msg", msg.ID, "err", err)
		return
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		h.answerLate(ctx, &m, msg, member)
	}()
}
