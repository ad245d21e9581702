package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/cmd/fivec/fivectest"
	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// sandboxProc is the real binary in sandbox mode, driven as the operator
// does: the fan simulator through the console, staff through the API.
type sandboxProc struct {
	t      *testing.T
	p      *fivectest.Proc
	store  *models.Store // the test's own handle on the same database
	cookie string        // console session
	csrf   string
	bearer string // API token
}

// startSandbox starts the binary without WeChat credentials on the
// database of o and logs the admin in (console session and API token).
func startSandbox(t *testing.T, ctx context.Context, o fivectest.Options, store *models.Store) *sandboxProc {
	t.Helper()
	o.Sandbox = true
	p, err := fivectest.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	s := &sandboxProc{t: t, p: p, store: store}
	admin, err := store.Authenticate(ctx, "admin", fivectest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	cookie, sess, err := store.CreateSession(ctx, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.cookie, s.csrf = cookie, sess.CSRFToken
	if s.bearer, _, err = store.CreateAPIToken(ctx, admin.ID, "sandbox test"); err != nil {
		t.Fatal(err)
	}
	return s
}

// sim performs a simulator action and returns the phone's screen as text
// (htmx asks for the refreshed phone in the answer).
func (s *sandboxProc) sim(action string, form url.Values) string {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.p.URL+"/console/simulator/"+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set(web.CSRFHeader, s.csrf)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("simulator %s %v: %d\n%s", action, form, resp.StatusCode, b)
	}
	return htmlText(string(b))
}

var tags = regexp.MustCompile(`<[^>]*>`)

func htmlText(h string) string { return tags.ReplaceAllString(h, " ") }

// api calls the JSON API as admin.
func (s *sandboxProc) api(method, path string, body, out any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.p.URL+"/api/v1"+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, rb)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, rb)
		}
	}
}

// TestSandboxForgotFansAfterRestart: stopped (SIGTERM, or SIGKILL) and
// started again on the same database, the sandbox's fake WeChat had
// forgotten every fan and phone; re-following, the fan got other
// messages' stored answers (its MsgIds started again), those texts were
// missing from the member's log, and a direct send to an existing member
// failed with 45015. Now: the phone keeps its history, every text after
// the restart gets its own rule's answer and lands in the member's log
// once, and staff's customer-service reply, sent before the fan writes
// again, reaches the phone.
func TestSandboxForgotFansAfterRestart(t *testing.T) {
	bin := buildOnce(t)
	for _, driver := range modelstest.Drivers() {
		for _, stop := range []string{"SIGTERM", "SIGKILL"} {
			t.Run(driver+"/"+stop, func(t *testing.T) {
				testSandboxRestart(t, bin, driver, stop)
			})
		}
	}
}

func testSandboxRestart(t *testing.T, bin, driver, stop string) {
	driverName, dsn := modelstest.DSN(t, driver) // skips without MariaDB
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	store, err := models.Open(ctx, driverName, dsn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	answers := map[string]string{"你好": "R1 您好，我是小五", "营业时间": "R2 每天 9:00-21:00",
		"优惠": "R3 本周满 100 减 20", "今天天气": "R4 天气请看天气预报"}
	for kw, reply := range answers {
		if _, err := store.CreateRule(ctx, models.RuleSpec{Name: kw, Kind: models.RuleKeyword,
			Keywords: []models.Keyword{{Text: kw, Match: "contains"}}, Replies: []models.Reply{models.TextReply(reply)}}); err != nil {
			t.Fatal(err)
		}
	}
	o := fivectest.Options{Bin: bin, Dir: t.TempDir(), Name: "sandbox", Env: []string{"FIVEC_SERVICE_SATISFACTION=false"}}
	if driver == "mysql" {
		o.MySQLDSN = dsn
		cfg, err := config.Load("", envOf(map[string]string{"FIVEC_DB_DRIVER": "mysql", "FIVEC_DB_DSN": dsn}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			os.Remove(cfg.SandboxStatePath())
			os.RemoveAll(cfg.SandboxStatePath() + "-media")
		})
	} else {
		o.SQLitePath = dsn
	}
	const fan = "oSIMrestart"
	form := func(kv ...string) url.Values {
		v := url.Values{"openid": {fan}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// say sends text and checks that exactly its rule's answer arrived.
	say := func(s *sandboxProc, text string) string {
		t.Helper()
		before := s.sim("text", form("text", "ping-"+text)) // a no-rule text: the screen before
		phone := s.sim("text", form("text", text))
		for kw, reply := range answers {
			want := strings.Count(before, reply)
			if kw == text {
				want++
			}
			if got := strings.Count(phone, reply); got != want {
				t.Fatalf("after %q the phone shows %q %d times, want %d:\n%s", text, reply, got, want, phone)
			}
		}
		return phone
	}

	s := startSandbox(t, ctx, o, store)
	s.sim("follow", form())
	say(s, "你好")
	say(s, "营业时间")
	phone := s.sim("text", form("text", "人工")) // Close Service: a conversation waits
	if !strings.Contains(phone, "人工客服") {
		t.Fatalf("escalation: %s", phone)
	}
	// A picture in the media library: the fake WeChat keeps it too.
	var pic struct {
		ID      uint64 `json:"id"`
		MediaID string `json:"media_id"`
	}
	if stop == "SIGKILL" {
		s.uploadMaterial("image", "poster.png", posterPNG(t), &pic)
	}
	if stop == "SIGKILL" {
		s.p.Kill()
	} else if err := s.p.Stop(); err != nil {
		t.Fatal(err)
	}

	s = startSandbox(t, ctx, o, store)
	t.Cleanup(func() {
		if err := s.p.Stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, fivectest.Tail(s.p.LogPath, 3000))
		}
	})
	// Staff answer the waiting fan with a customer-service message before
	// the fan writes again: the platform must still know the fan's window.
	var conv struct {
		ID uint64 `json:"id"`
	}
	s.api(http.MethodPost, "/conversations", map[string]string{"openid": fan}, &conv)
	s.api(http.MethodPost, fmt.Sprintf("/conversations/%d/reply", conv.ID), map[string]string{"text": "客服小李：您好，请讲"}, nil)
	s.api(http.MethodPost, fmt.Sprintf("/conversations/%d/resolve", conv.ID), map[string]string{}, nil)
	phone = s.sim("text", form("text", "ping-after-restart"))
	for _, want := range []string{"客服小李：您好，请讲", answers["你好"], answers["营业时间"], "关注了公众号"} {
		if !strings.Contains(phone, want) {
			t.Errorf("after the restart the phone lacks %q:\n%s", want, phone)
		}
	}
	if strings.Count(phone, "客服小李") != 1 {
		t.Errorf("the direct send shows %d times:\n%s", strings.Count(phone, "客服小李"), phone)
	}
	if stop == "SIGKILL" {
		// A sync from WeChat after the restart still finds the picture on
		// the fake (else it would drop it from the library).
		s.api(http.MethodPost, "/materials/sync", map[string]string{}, nil)
		var st struct {
			Running bool   `json:"running"`
			Done    int    `json:"done"`
			Error   string `json:"error"`
		}
		for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(300 * time.Millisecond) {
			s.api(http.MethodGet, "/materials/sync", nil, &st)
			if !st.Running || time.Now().After(deadline) {
				break
			}
		}
		if st.Running || st.Error != "" || st.Done != 1 {
			t.Errorf("material sync after the restart: %+v", st)
		}
		var got struct {
			MediaID string `json:"media_id"`
			HasFile bool   `json:"has_file"`
		}
		s.api(http.MethodGet, fmt.Sprintf("/materials/%d", pic.ID), nil, &got)
		if got.MediaID != pic.MediaID || !got.HasFile {
			t.Errorf("the picture after the restart and a sync: %+v", got)
		}
	}
	// Following again is refused (the fan follows); the texts get their own answers.
	if f := s.simStatus("follow", form()); f != http.StatusConflict {
		t.Errorf("follow of a follower after restart: %d", f)
	}
	say(s, "你好")
	say(s, "今天天气")
	say(s, "优惠")

	// The member's log has every text once.
	log, err := store.Conversation(ctx, fan, 500)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range log {
		if m.Direction == models.DirectionIn && m.MsgType == "text" {
			seen[m.Content]++
		}
	}
	for text, want := range map[string]int{"你好": 2, "营业时间": 1, "人工": 1, "今天天气": 1, "优惠": 1, "ping-今天天气": 1} {
		if seen[text] != want {
			t.Errorf("member's log holds %q %d times, want %d (log: %v)", text, seen[text], want, seen)
		}
	}
	if sent := countOut(log, "客服小李：您好，请讲"); sent != 1 {
		t.Errorf("the direct send is logged %d times", sent)
	}
}

// uploadMaterial uploads a file to the media library through the API.
func (s *sandboxProc) uploadMaterial(kind, name string, data []byte, out any) {
	s.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("kind", kind)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.p.URL+"/api/v1/materials", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		s.t.Fatal(err)
	}
}

// simStatus performs a simulator action and returns only the status.
func (s *sandboxProc) simStatus(action string, form url.Values) int {
	req, _ := http.NewRequest(http.MethodPost, s.p.URL+"/console/simulator/"+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(web.CSRFHeader, s.csrf)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// countOut counts sent outbound messages with the given text.
func countOut(log []models.Message, text string) int {
	n := 0
	for _, m := range log {
		if m.Direction == models.DirectionOut && m.State == models.StateSent && strings.Contains(m.Content, text) {
			n++
		}
	}
	return n
}
