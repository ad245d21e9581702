package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

// TestDurableEcho posts a few callbacks, one message and one event twice,
// then 32 at once over 8 MsgIds, to the recording echo in both modes: every
// answer is the baseline's echo, and the table holds one row per distinct
// dedupe key. A closed recorder answers 500.
func TestDurableEcho(t *testing.T) {
	for _, mode := range []string{"plain", "safe"} {
		t.Run(mode, func(t *testing.T) {
			acct := benchAccount(mode)
			path := filepath.Join(t.TempDir(), "durable.db")
			d, err := openDurableEcho(acct, path)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := startServer(d)
			if err != nil {
				d.Close()
				t.Fatal(err)
			}
			defer srv.Close()
			const fan = "o_durable_fan"
			text := func(id int64) fake.CallbackMessage {
				return fake.CallbackMessage{ToUserName: acct.OriginalID, FromUserName: fan, CreateTime: 1700000000,
					MsgType: "text", MsgID: id, Content: "你好 #" + strconv.FormatInt(id, 10)}
			}
			follow := fake.CallbackMessage{ToUserName: acct.OriginalID, FromUserName: fan, CreateTime: 1700000001,
				MsgType: "event", Event: "subscribe", EventKey: "qrscene_7"}
			msgs := []fake.CallbackMessage{text(1), text(2), text(1), follow, follow}
			for i, m := range msgs {
				code, reply, err := postCallback(srv.URL+"/wechat", acct, m, int64(i))
				if err != nil || code != http.StatusOK {
					t.Fatalf("message %d: HTTP %d, %v", i, code, err)
				}
				if reply == nil || reply.MsgType != "text" || reply.Content != m.Content ||
					reply.ToUserName != fan || reply.FromUserName != acct.OriginalID {
					t.Errorf("message %d: reply %+v, want the echo of %q", i, reply, m.Content)
				}
			}

			// Concurrent posts share batches, duplicates included.
			var wg sync.WaitGroup
			errs := make(chan error, 32)
			for i := range 32 {
				wg.Go(func() {
					m := text(int64(100 + i%8))
					code, reply, err := postCallback(srv.URL+"/wechat", acct, m, int64(100+i))
					if err == nil && (code != http.StatusOK || reply == nil || reply.Content != m.Content) {
						err = fmt.Errorf("HTTP %d, reply %+v", code, reply)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent post: %v", err)
				}
			}

			db, err := sql.Open("sqlite", models.SQLiteDSN(path))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.Query("SELECT dedupe_key, open_id, content FROM messages ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for rows.Next() {
				var key, openID, content string
				if err := rows.Scan(&key, &openID, &content); err != nil {
					t.Fatal(err)
				}
				if openID != fan {
					t.Errorf("row %s: open_id %q", key, openID)
				}
				keys = append(keys, key)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			want := []string{"msg:1", "msg:2", "evt:" + fan + ":1700000001:subscribe:qrscene_7"}
			for i := range 8 {
				want = append(want, "msg:"+strconv.Itoa(100+i))
			}
			slices.Sort(keys)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Errorf("recorded keys %q, want %q", keys, want)
			}

			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if code, _, _ := postCallback(srv.URL+"/wechat", acct, text(3), 9); code != http.StatusInternalServerError {
				t.Errorf("after Close: HTTP %d, want 500", code)
			}
		})
	}
}

// postCallback posts m signed for acct and parses the answer (nil for
// "success").
func postCallback(url string, acct fake.Account, m fake.CallbackMessage, nonce int64) (int, *fake.Reply, error) {
	q, body, err := fake.BuildCallback(acct, m, "1700000000", strconv.FormatInt(nonce, 10))
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.Post(url+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, err
	}
	reply, err := fake.ParseReply(acct, q, answer)
	return resp.StatusCode, reply, err
}

func TestTargetsFlag(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil || !slices.Equal(o.targets, []string{targetBaseline, "fivec"}) {
		t.Errorf("default targets %q, %v", o.targets, err)
	}
	if o, err := parseFlags([]string{"-targets", "baseline,durable-echo"}, io.Discard); err != nil ||
		!slices.Equal(o.targets, []string{targetBaseline, targetDurableEcho}) {
		t.Errorf("-targets baseline,durable-echo: %q, %v", o.targets, err)
	}
	if _, err := parseFlags([]string{"-targets", "baseline,durable"}, io.Discard); err == nil {
		t.Error("unknown target accepted")
	}
}

// TestRecorderBatchDuplicates commits one batch that repeats a key, as a
// batch of concurrent callbacks can: the statement succeeds and the first
// row stands. (It calls commit directly; the writer is idle meanwhile.)
func TestRecorderBatchDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "durable.db")
	d, err := openDurableEcho(benchAccount("plain"), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	batch := []*recordOp{{row: row{key: "msg:1", openID: "a", content: "first"}},
		{row: row{key: "msg:2", openID: "a"}}, {row: row{key: "msg:1", openID: "a", content: "second"}}}
	if err := d.rec.commit(batch); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", models.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var content string
	if err := db.QueryRow("SELECT COUNT(*), MIN(CASE WHEN dedupe_key = 'msg:1' THEN content END) FROM messages").Scan(&n, &content); err != nil {
		t.Fatal(err)
	}
	if n != 2 || content != "first" {
		t.Errorf("%d rows, msg:1 holds %q; want 2 rows and the first content", n, content)
	}
}
