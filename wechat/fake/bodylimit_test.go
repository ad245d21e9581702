package fake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// countingReader is an endless body that counts what the server reads.
type countingReader struct{ n atomic.Int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// TestFakeAPIBodyLimit: the sandbox's fake WeChat API used to read up to
// 32 MiB of any request into memory (and keep it in its call log). A 30 MiB
// body is now refused after MaxJSONBody bytes with HTTP 413 and the
// platform's errcode JSON, and the call log keeps no body; a normal call
// still works.
func TestFakeAPIBodyLimit(t *testing.T) {
	t.Parallel()
	const app = "wx-bodylimit"
	s, _ := newFake(t, Options{}, Account{AppID: app, Verified: true})
	tok := fetchToken(t, s, app)

	body := &countingReader{}
	req := httptest.NewRequest(http.MethodPost, "/cgi-bin/message/custom/send?access_token="+tok,
		io.LimitReader(body, 30<<20))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("30 MiB body: HTTP %d %s, want 413", rec.Code, rec.Body.String())
	}
	var answer struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.ErrCode != 45002 {
		t.Fatalf("answer %q (%v), want errcode 45002 JSON", rec.Body.String(), err)
	}
	// MaxBytesReader reads at most one buffer past the limit.
	if read := body.n.Load(); read > MaxJSONBody+64<<10 {
		t.Errorf("read %d bytes of a 30 MiB body, want about %d", read, MaxJSONBody)
	}
	calls := s.CallsFor(app)
	last := calls[len(calls)-1]
	if last.HTTPStatus != 413 || last.ErrCode != 45002 || last.Body != "" {
		t.Errorf("recorded call %+v, want 413/45002 without body", last)
	}

	// Over real HTTP, and a body just under the limit is still parsed.
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/cgi-bin/message/custom/send?access_token="+tok, "application/json",
		bytes.NewReader(bytes.Repeat([]byte(" "), 30<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over HTTP: %d, want 413", resp.StatusCode)
	}
	padded := `{"touser":"o_nobody","msgtype":"text","text":{"content":"hi"}}` + strings.Repeat(" ", MaxJSONBody-100)
	m := post(t, "/cgi-bin/message/custom/send", tok, padded)
	if code(m) == 45002 {
		t.Errorf("a body under the limit was refused: %v", m)
	}
}
