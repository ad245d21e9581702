package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// StateStore keeps the platform's state across restarts (Options.State).
// Load returns what the last Save stored, nil when nothing was ever saved;
// Save replaces it. Save is called after every change, never concurrently.
type StateStore interface {
	Load() ([]byte, error)
	Save(state []byte) error
}

// FileState is a StateStore in one file, replaced atomically (written to a
// temporary file in the same directory, then renamed over it): a process
// killed at any moment leaves the previous state or the new one, never a
// torn file. It does not fsync, so a power loss may lose the last changes.
type FileState struct{ Path string }

// Load reads the file; a missing file is no state.
func (f FileState) Load() ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Save writes state to a temporary file and renames it over Path.
func (f FileState) Save(state []byte) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(f.Path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(state)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.Path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// stateVersion is written into every snapshot; a snapshot of another
// version is refused rather than half-read.
const stateVersion = 1

// The snapshot is JSON of the types below. To persist a new kind of state
// (materials, say): add a field to savedAccount (or savedState), fill it in
// snapshotLocked and read it back in restoreAccount. Missing fields of an
// older file decode as zero values, so adding one needs no version bump.
type savedState struct {
	Version  int
	Seq      int64 // msg ids, tickets, delivery numbers: never reused
	Accounts []savedAccount
	Tickets  []QRCode
}

type savedAccount struct {
	AppID        string
	OriginalID   string
	Fans         []savedFan // in first-seen order (user/get paging)
	Tags         []savedTag
	NextTagID    int
	Menu         []MenuButton `json:",omitempty"`
	MenuID       int64        `json:",omitempty"`
	SceneTickets map[string]string
	Mass         []savedMassJob
	ClientMsgIDs map[string]savedClientMsg
	MassStarts   []time.Time
	MassSpeed    int
	Media        map[string]string // media id → type
	Materials    []Material        // uploads; bytes in Options.MediaDir
	Drafts       []Draft           `json:",omitempty"`
	Publishes    []PublishJob      `json:",omitempty"`
}

type savedFan struct {
	Fan
	Inbox        []Delivery
	MsgWin       savedWindow
	EvtWin       savedWindow
	LastAction   time.Time
	MassReceived []time.Time
}

type savedWindow struct {
	Opened time.Time
	Used   int
}

type savedTag struct {
	ID   int
	Name string
}

type savedMassJob struct {
	ID      int64
	Kind    string
	Status  string
	Created time.Time
	Sent    map[string]int64 // openid → Seq of the delivery
}

type savedClientMsg struct {
	MsgID int64
	At    time.Time
}

// snapshotLocked encodes the persistent state. Caller holds s.mu. Tokens,
// recorded calls, faults and rate windows are left out: they belong to
// one run (the account's server fetches a new token after a restart).
func (s *Server) snapshotLocked() ([]byte, error) {
	st := savedState{Version: stateVersion, Seq: s.seq}
	ids := make([]string, 0, len(s.accounts))
	for id := range s.accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st.Accounts = append(st.Accounts, saveAccount(s.accounts[id]))
	}
	for _, q := range s.tickets {
		st.Tickets = append(st.Tickets, *q)
	}
	sort.Slice(st.Tickets, func(i, j int) bool { return st.Tickets[i].Ticket < st.Tickets[j].Ticket })
	return json.Marshal(st)
}

func saveAccount(a *account) savedAccount {
	sa := savedAccount{AppID: a.AppID, OriginalID: a.OriginalID, NextTagID: a.nextTagID,
		SceneTickets: a.sceneTickets, MassStarts: a.massStarts, MassSpeed: a.massSpeed,
		ClientMsgIDs: make(map[string]savedClientMsg, len(a.clientMsgIDs)), Media: a.media}
	for _, id := range a.order {
		f := a.fans[id]
		sa.Fans = append(sa.Fans, savedFan{Fan: f.Fan, Inbox: f.inbox,
			MsgWin: savedWindow{f.msgWin.opened, f.msgWin.used}, EvtWin: savedWindow{f.evtWin.opened, f.evtWin.used},
			LastAction: f.lastAction, MassReceived: f.massReceived})
	}
	for _, t := range a.tags {
		sa.Tags = append(sa.Tags, savedTag{ID: t.id, Name: t.name})
	}
	sort.Slice(sa.Tags, func(i, j int) bool { return sa.Tags[i].ID < sa.Tags[j].ID })
	if a.menu != nil {
		sa.Menu, sa.MenuID = a.menu.buttons, a.menu.id
	}
	for _, j := range a.mass {
		sj := savedMassJob{ID: j.id, Kind: j.kind, Status: j.status, Created: j.created, Sent: make(map[string]int64, len(j.sent))}
		for f, seq := range j.sent {
			sj.Sent[f.OpenID] = seq
		}
		sa.Mass = append(sa.Mass, sj)
	}
	for _, m := range a.materials {
		sa.Materials = append(sa.Materials, *m)
	}
	sort.Slice(sa.Materials, func(i, j int) bool { return sa.Materials[i].MediaID < sa.Materials[j].MediaID })
	for _, d := range a.drafts {
		sa.Drafts = append(sa.Drafts, *d)
	}
	sort.Slice(sa.Drafts, func(i, j int) bool { return sa.Drafts[i].MediaID < sa.Drafts[j].MediaID })
	for _, j := range a.publishes {
		sa.Publishes = append(sa.Publishes, *j)
	}
	sort.Slice(sa.Publishes, func(i, j int) bool { return sa.Publishes[i].ID < sa.Publishes[j].ID })
	sort.Slice(sa.Mass, func(i, j int) bool { return sa.Mass[i].ID < sa.Mass[j].ID })
	for k, m := range a.clientMsgIDs {
		sa.ClientMsgIDs[k] = savedClientMsg{MsgID: m.msgID, At: m.at}
	}
	return sa
}

// restore loads the state Options.State holds into a new Server. Accounts
// come back with their fans, tags, menu and jobs but without secrets or a
// callback URL: AddAccount supplies those (and keeps the state).
func (s *Server) restore() error {
	b, err := s.opts.State.Load()
	if err != nil || len(b) == 0 {
		return err
	}
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("fake: state: %w", err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("fake: state version %d, want %d", st.Version, stateVersion)
	}
	s.seq = max(s.seq, st.Seq)
	for i := range st.Tickets {
		q := st.Tickets[i]
		s.tickets[q.Ticket] = &q
	}
	for _, sa := range st.Accounts {
		s.accounts[sa.AppID] = restoreAccount(sa)
	}
	return nil
}

func restoreAccount(sa savedAccount) *account {
	a := newAccount(Account{AppID: sa.AppID, OriginalID: sa.OriginalID})
	if sa.NextTagID > 0 {
		a.nextTagID = sa.NextTagID
	}
	if sa.Tags != nil {
		a.tags = make(map[int]*tag, len(sa.Tags))
		for _, t := range sa.Tags {
			a.tags[t.ID] = &tag{id: t.ID, name: t.Name}
		}
	}
	if sa.Menu != nil {
		a.menu = &menuState{buttons: sa.Menu, id: sa.MenuID}
	}
	for k, v := range sa.SceneTickets {
		a.sceneTickets[k] = v
	}
	a.massStarts, a.massSpeed = sa.MassStarts, sa.MassSpeed
	for _, sf := range sa.Fans {
		f := a.fanFor(sf.OpenID)
		f.Fan, f.inbox, f.lastAction, f.massReceived = sf.Fan, sf.Inbox, sf.LastAction, sf.MassReceived
		f.msgWin = window{opened: sf.MsgWin.Opened, used: sf.MsgWin.Used}
		f.evtWin = window{opened: sf.EvtWin.Opened, used: sf.EvtWin.Used}
	}
	for _, sj := range sa.Mass {
		j := &massJob{id: sj.ID, kind: sj.Kind, status: sj.Status, created: sj.Created, sent: make(map[*fan]int64, len(sj.Sent))}
		for openID, seq := range sj.Sent {
			if f := a.fans[openID]; f != nil {
				j.sent[f] = seq
			}
		}
		a.mass[j.id] = j
	}
	for k, m := range sa.ClientMsgIDs {
		a.clientMsgIDs[k] = clientMsg{msgID: m.MsgID, at: m.At}
	}
	for id, typ := range sa.Media {
		a.media[id] = typ
	}
	for i := range sa.Materials {
		m := sa.Materials[i]
		a.materials[m.MediaID] = &m
	}
	for i := range sa.Drafts {
		d := sa.Drafts[i]
		a.drafts[d.MediaID] = &d
	}
	for i := range sa.Publishes {
		j := sa.Publishes[i]
		a.publishes[j.ID] = &j
	}
	return a
}

// persist saves the state after a change (no-op without Options.State).
// Call it without s.mu held. saveMu orders the saves: the snapshot is taken
// under it, so the file always ends with the newest state.
func (s *Server) persist() {
	if s.opts.State == nil {
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	b, err := s.snapshotLocked()
	s.mu.Unlock()
	if err == nil {
		err = s.opts.State.Save(b)
	}
	if err != nil && s.opts.StateError != nil {
		s.opts.StateError(err)
	}
}
