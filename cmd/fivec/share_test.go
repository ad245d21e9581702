package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
)

var (
	shareURLIn  = regexp.MustCompile(`id="share-url" readonly value="([^"]+)"`)
	shareSigIn  = regexp.MustCompile(`data-timestamp="(\d+)" data-nonce="([^"]+)" data-signature="([0-9a-f]{40})"`)
	shareLinkIn = regexp.MustCompile(`data-link="([^"]+)"`)
)

// sharePage opens target in b and returns the page and the fan's own link.
func sharePage(t *testing.T, b *fanBrowser, target string) (body, own string) {
	t.Helper()
	rec := b.open(http.MethodGet, target, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("open %s: %d %s (via %v)", target, rec.Code, rec.Body, b.visited)
	}
	body = rec.Body.String()
	m := shareURLIn.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no share link on %s:\n%s", target, body)
	}
	return body, strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestShareChainThroughThePages: in the sandbox, fan A opens a tracked
// link from a broadcast (/fan/t/<id>) inside WeChat and lands on the page
// under A's own token, whose wx.config signature is WeChat's algorithm over
// the shared jsapi_ticket. A shares to B, B to C: each friend's first open
// pays the sharer once; repeats pay nothing; a tampered token is refused
// with a page saying so, and an open outside WeChat is counted on the link
// only. A visitor who does not follow sees the sharer's follow QR code and,
// following through it, becomes A's referral and the report's follow.
func TestShareChainThroughThePages(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			c, a := fanEnv(t, driver, "o_share_a")
			s := c.a.store
			for _, id := range []string{"o_share_b", "o_share_c"} {
				if _, err := c.a.sandbox.fake.Follow(ctx, sandboxAppID, id, ""); err != nil {
					t.Fatal(err)
				}
			}
			marketer := who{role: models.RoleMarketer, bearer: c.tokens[models.RoleMarketer]}
			// Bad input is refused in words and stores nothing.
			rec := c.raw(http.MethodPost, "/api/v1/share-links", "application/json", `{"title":"冬季养生指南","target_url":"javascript:alert(1)"}`, marketer)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "http") {
				t.Fatalf("a bad address: %d %s", rec.Code, rec.Body)
			}
			rec = c.raw(http.MethodPost, "/api/v1/share-links", "application/json",
				`{"title":"冬季养生指南","target_url":"https://example.com/winter","source":"broadcast:1"}`, marketer)
			var created struct {
				ID          uint64 `json:"id"`
				TrackedPath string `json:"tracked_path"`
			}
			if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &created) != nil || created.TrackedPath != "/fan/t/"+itoa(created.ID) {
				t.Fatalf("create link: %d %s", rec.Code, rec.Body)
			}
			link, err := s.ShareLinkByID(ctx, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			points := roles.DefaultShareRules.Points
			balance := func(openID string) int64 {
				m, err := s.FindMemberByOpenID(ctx, openID)
				if err != nil {
					t.Fatal(err)
				}
				return m.Points
			}

			ba := newFanBrowser(t, c.router)
			ba.phone("o_share_a")
			body, ownA := sharePage(t, ba, "/fan/t/"+itoa(link.ID))
			if !strings.Contains(ownA, "/fan/s/"+itoa(link.ID)+"-"+itoa(a.ID)+".") {
				t.Fatalf("A's own link: %s", ownA)
			}
			if lm := shareLinkIn.FindStringSubmatch(body); lm == nil || strings.ReplaceAll(lm[1], "&amp;", "&") != ownA {
				t.Fatalf("the share card does not carry A's link: %v", lm)
			}
			sig := shareSigIn.FindStringSubmatch(body)
			if sig == nil {
				t.Fatalf("no wx.config on the page:\n%s", body)
			}
			ticket, err := c.a.jsTicket.GetAccessTokenContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ts int64
			for _, ch := range sig[1] {
				ts = ts*10 + int64(ch-'0')
			}
			pageURL := ba.visited[len(ba.visited)-1]
			if !strings.HasPrefix(pageURL, "http") {
				pageURL = fanSite + pageURL
			}
			if want := wechat.JSSignature(ticket, sig[2], ts, pageURL); sig[3] != want {
				t.Fatalf("wx.config signature %s for %s, want %s", sig[3], pageURL, want)
			}

			bb := newFanBrowser(t, c.router)
			bb.phone("o_share_b")
			_, ownB := sharePage(t, bb, ownA)
			cb := newFanBrowser(t, c.router)
			cb.phone("o_share_c")
			sharePage(t, cb, ownB)
			for range 2 {
				sharePage(t, bb, ownA) // B again: a click, not a friend
				sharePage(t, ba, ownA) // A's own link
			}
			if ga, gb := balance("o_share_a"), balance("o_share_b"); ga != points || gb != points {
				t.Fatalf("balances A %d, B %d, want %d each", ga, gb, points)
			}

			// A tampered token: another member's number under A's signature.
			tampered := strings.Replace(ownA, "-"+itoa(a.ID)+".", "-"+itoa(a.ID+1)+".", 1)
			rec = cb.open(http.MethodGet, tampered, nil)
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "链接无效") {
				t.Fatalf("tampered token: %d %s", rec.Code, rec.Body)
			}
			// Outside WeChat: a plain browser, no phone.
			out := newFanBrowser(t, c.router)
			out.ua = "Mozilla/5.0 (X11; Linux x86_64)"
			rec = out.open(http.MethodGet, ownA, nil)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "请在微信中打开") {
				t.Fatalf("outside WeChat: %d %s", rec.Code, rec.Body)
			}
			st, err := s.ShareLinkReport(ctx, link.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Openers != 3 || st.FriendOpens != 2 || st.PointsPaid != 2*points || st.Link.OutsideOpens != 1 || st.MaxDepth != 2 {
				t.Fatalf("report after the chain: %+v", st)
			}

			// A visitor who does not follow opens A's share.
			bv := newFanBrowser(t, c.router)
			bv.phone("o_share_v")
			body, _ = sharePage(t, bv, ownA)
			if !strings.Contains(body, `id="follow-qr"`) || strings.Contains(body, `id="share-tip"`) {
				t.Fatalf("the visitor's page has no follow QR code:\n%s", body)
			}
			if got := balance("o_share_a"); got != 2*points {
				t.Fatalf("A's balance after the visitor's open: %d, want %d", got, 2*points)
			}
			code, err := s.ReferralCode(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.a.sandbox.fake.Follow(ctx, sandboxAppID, "o_share_v", models.ReferralScenePrefix+code); err != nil {
				t.Fatal(err)
			}
			v, err := s.FindMemberByOpenID(ctx, "o_share_v")
			if err != nil || v.ReferrerID == nil || *v.ReferrerID != a.ID {
				t.Fatalf("the visitor's referrer: %+v %v", v, err)
			}
			if st, _ = s.ShareLinkReport(ctx, link.ID); st.Follows != 1 || st.Openers != 4 {
				t.Fatalf("report after the visitor followed: %+v", st)
			}

			// The API: the tree to depth 2, the report, the top spreaders.
			agent := who{role: models.RoleAgent, bearer: c.tokens[models.RoleAgent]}
			rec = c.raw(http.MethodGet, "/api/v1/share-links/"+itoa(link.ID)+"/tree", "", "", agent)
			var tree struct {
				Items []struct {
					OpenID   string `json:"openid"`
					Reach    int    `json:"reach"`
					Children []struct {
						OpenID   string `json:"openid"`
						Paid     int64  `json:"paid"`
						Children []struct {
							OpenID string `json:"openid"`
							Depth  int    `json:"depth"`
						} `json:"children"`
					} `json:"children"`
				} `json:"items"`
			}
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &tree) != nil || len(tree.Items) != 1 || tree.Items[0].OpenID != "o_share_a" ||
				tree.Items[0].Reach != 3 || len(tree.Items[0].Children) != 2 {
				t.Fatalf("tree: %d %s", rec.Code, rec.Body)
			}
			b := tree.Items[0].Children[0]
			if b.OpenID != "o_share_b" || b.Paid != points || len(b.Children) != 1 || b.Children[0].OpenID != "o_share_c" || b.Children[0].Depth != 2 {
				t.Fatalf("B in the tree: %+v", b)
			}
			rec = c.raw(http.MethodGet, "/api/v1/share-links/"+itoa(link.ID)+"/report", "", "", agent)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"points_paid":`+itoa(uint64(3*points))) ||
				!strings.Contains(rec.Body.String(), `"outside_opens":1`) || !strings.Contains(rec.Body.String(), `"follows":1`) {
				t.Fatalf("report: %d %s", rec.Code, rec.Body)
			}
			rec = c.raw(http.MethodGet, "/api/v1/share-spreaders?link="+itoa(link.ID), "", "", agent)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `{"openid":"o_share_a","level":"spreader","friends":2,"follows":1,"points":`+itoa(uint64(2*points))) {
				t.Fatalf("spreaders: %d %s", rec.Code, rec.Body)
			}
		})
	}
}
