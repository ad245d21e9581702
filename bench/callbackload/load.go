package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fivec/fivec/wechat/fake"
)

// Load is one load run's settings; every target gets the same.
type Load struct {
	URL  string       // the callback endpoint, e.g. http://127.0.0.1:1234/wechat
	Acct fake.Account // signs the callbacks; safe mode when EncodingAESKey is set
	// Workers post concurrently, each waiting for its answer before the next.
	Workers int
	// Warmup runs first and is not measured; then Duration is.
	Warmup, Duration time.Duration
	// MaxRequests bounds the run (warm-up included) whatever the duration.
	MaxRequests int64
	// Timeout bounds one request (WeChat waits 5 s).
	Timeout time.Duration
	// FollowRatio of the requests are subscribe events, the rest text.
	FollowRatio float64
	// Fans is how many distinct openids send (members are upserted);
	// FanPrefix starts each openid, so that runs and modes sharing one
	// database each start with fans fivec has never seen.
	Fans      int
	FanPrefix string
	// IDs makes MsgIds and QR scenes unique across runs and processes.
	IDs *IDSource
	// ServerCPU, when set, reads the target's CPU time; Run reports how
	// much it used while measured.
	ServerCPU func() (time.Duration, error)
}

// IDSource hands out numbers unique within a process and, because it starts
// at the wall clock in nanoseconds, across runs sharing one database.
type IDSource struct{ next atomic.Int64 }

// NewIDSource starts at the current time in nanoseconds.
func NewIDSource() *IDSource {
	s := &IDSource{}
	s.next.Store(time.Now().UnixNano())
	return s
}

// Next returns a fresh number.
func (s *IDSource) Next() int64 { return s.next.Add(1) }

// sample is one measured request.
type sample struct {
	latency time.Duration
	err     error
	replied bool
}

// Run drives the load and returns the measured result (Target and Mode are
// left for the caller). It stops at the end of Duration, at MaxRequests, or
// when ctx ends, whichever comes first.
func Run(ctx context.Context, l Load) Result {
	tr := &http.Transport{MaxIdleConns: 2 * l.Workers, MaxIdleConnsPerHost: 2 * l.Workers,
		DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: l.Timeout}

	start := time.Now()
	measureFrom := start.Add(l.Warmup)
	end := measureFrom.Add(l.Duration)
	var issued atomic.Int64
	perWorker := make([][]sample, l.Workers)
	var wg sync.WaitGroup
	cpu0 := make(chan time.Duration, 1)
	if l.ServerCPU != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(measureFrom))
			c, _ := l.ServerCPU()
			cpu0 <- c
		}()
	}
	for w := range l.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for ctx.Err() == nil && issued.Add(1) <= l.MaxRequests {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				msg := l.message(rng, t0)
				latency, replied, err := l.post(ctx, client, msg, t0)
				if !t0.Before(measureFrom) {
					perWorker[w] = append(perWorker[w], sample{latency, err, replied})
				}
			}
		}()
	}
	wg.Wait()

	var r Result
	if elapsed := time.Since(measureFrom); elapsed > 0 {
		r.Elapsed = elapsed
	}
	if l.ServerCPU != nil {
		if c, err := l.ServerCPU(); err == nil {
			r.ServerCPU = c - <-cpu0
		}
	}
	for _, ss := range perWorker {
		for _, s := range ss {
			r.Requests++
			r.Latencies = append(r.Latencies, s.latency)
			switch {
			case s.err != nil:
				r.Errors++
				if len(r.FirstErrors) < maxErrorTexts {
					r.FirstErrors = append(r.FirstErrors, s.err.Error())
				}
			case s.replied:
				r.Replies++
			}
		}
	}
	return r
}

// message builds the next fan message: a text with a fresh MsgId from one of
// the fans, or (FollowRatio of the time) a QR follow with a fresh scene, so
// that no two requests share a dedupe key.
func (l Load) message(rng *rand.Rand, now time.Time) fake.CallbackMessage {
	id := l.IDs.Next()
	m := fake.CallbackMessage{
		ToUserName:   l.Acct.OriginalID,
		FromUserName: fmt.Sprintf("%s%05d", l.FanPrefix, rng.IntN(l.Fans)),
		CreateTime:   now.Unix(),
	}
	if rng.Float64() < l.FollowRatio {
		m.MsgType, m.Event, m.EventKey = "event", "subscribe", "qrscene_"+strconv.FormatInt(id, 36)
		return m
	}
	m.MsgType, m.MsgID = "text", id
	m.Content = "你好，我想问一下这个产品的价格 #" + strconv.FormatInt(id, 36)
	return m
}

// post sends msg signed as WeChat would and checks the answer: HTTP 200 and
// either "success" or a passive reply WeChat accepts, addressed to the fan.
// The latency covers the HTTP exchange only (sending the request to reading
// the answer's last byte), not building, encrypting or checking.
func (l Load) post(ctx context.Context, client *http.Client, msg fake.CallbackMessage, now time.Time) (latency time.Duration, replied bool, err error) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := strconv.FormatInt(now.UnixNano()%1e9, 10)
	q, body, err := fake.BuildCallback(l.Acct, msg, ts, nonce)
	if err != nil {
		return 0, false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "text/xml")
	sent := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return time.Since(sent), false, err
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	latency = time.Since(sent)
	if err != nil {
		return latency, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return latency, false, fmt.Errorf("HTTP %d: %.80q", resp.StatusCode, answer)
	}
	reply, err := fake.ParseReply(l.Acct, q, answer)
	if err != nil {
		return latency, false, err
	}
	if reply == nil {
		return latency, false, nil
	}
	if reply.ToUserName != msg.FromUserName || reply.FromUserName != msg.ToUserName {
		return latency, true, fmt.Errorf("reply addressed from %q to %q", reply.FromUserName, reply.ToUserName)
	}
	return latency, true, nil
}
