package roles_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// TestShareChainPaysOncePerFriend: A opens a tracked link and shares it to
// B, B shares it on to C. Each friend's first open pays the sharer once;
// self-opens and repeat opens pay nothing; a friend who opens it again
// through someone else keeps their first place; the daily cap holds until
// the next day; a visitor who follows from A's page is A's referral and
// the report's follow. The tree goes to depth 2 and the levels follow.
func TestShareChainPaysOncePerFriend(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		g := newGrowth(t, s)
		s.Now = func() time.Time { return g.clock }
		g.client.Share = roles.ShareRules{Points: 5, DailyCap: 3, KeyPersonFriends: 3}
		for _, id := range []string{"sh_a", "sh_b", "sh_c", "sh_d", "sh_e"} {
			g.Follow(id)
		}
		link := &models.ShareLink{Title: "春季新品", TargetURL: "https://example.com/spring", Source: "broadcast:7"}
		if err := s.CreateShareLink(ctx, link); err != nil {
			t.Fatal(err)
		}
		open := func(opener, via string) models.ShareOpenResult {
			t.Helper()
			o := roles.SharedOpen{Link: link, Via: g.member(via).ID, OpenID: opener}
			if m, err := s.FindMemberByOpenID(ctx, opener); err == nil {
				o.Member = m
			}
			res, err := g.client.OpenShared(ctx, o)
			if err != nil {
				t.Fatalf("%s opens %s's link: %v", opener, via, err)
			}
			return res
		}
		balance := func(openID string) int64 {
			b, err := s.Balance(ctx, g.member(openID).ID)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if r := open("sh_a", "sh_a"); !r.First || !r.Self || r.Paid != 0 {
			t.Fatalf("A's own open: %+v", r)
		}
		if r := open("sh_a", "sh_a"); r.First || r.Paid != 0 {
			t.Fatalf("A's repeat open: %+v", r)
		}
		if r := open("sh_b", "sh_a"); !r.First || r.Self || r.Paid != 5 {
			t.Fatalf("B opens A's share: %+v", r)
		}
		for range 3 { // clicks, not friends
			if r := open("sh_b", "sh_a"); r.First || r.Paid != 0 {
				t.Fatalf("B opens A's share again: %+v", r)
			}
		}
		if r := open("sh_b", "sh_b"); r.First || r.Paid != 0 {
			t.Fatalf("B opens their own link after A's: %+v", r)
		}
		if r := open("sh_c", "sh_b"); !r.First || r.Paid != 5 {
			t.Fatalf("C opens B's share: %+v", r)
		}
		if r := open("sh_c", "sh_a"); r.First || r.Paid != 0 {
			t.Fatalf("C opens A's share after B's: %+v", r)
		}
		if a, b := balance("sh_a"), balance("sh_b"); a != 5 || b != 5 {
			t.Fatalf("balances after the chain: A %d, B %d, want 5 and 5", a, b)
		}
		// A visitor (not following) and D open A's share: A's cap is 3 a day.
		if r := open("o_visitor", "sh_a"); r.Paid != 5 {
			t.Fatalf("visitor opens A's share: %+v", r)
		}
		if r := open("sh_d", "sh_a"); r.Paid != 5 {
			t.Fatalf("D opens A's share: %+v", r)
		}
		if r := open("sh_e", "sh_a"); !r.First || r.Paid != 0 || !r.Capped {
			t.Fatalf("E over A's daily cap: %+v", r)
		}
		g.clock = g.clock.Add(24 * time.Hour)
		if r := open("sh_e", "sh_a"); r.First || r.Paid != 0 {
			t.Fatalf("E again the next day (a repeat): %+v", r)
		}
		link2 := &models.ShareLink{Title: "第二篇", TargetURL: "https://example.com/two"}
		if err := s.CreateShareLink(ctx, link2); err != nil {
			t.Fatal(err)
		}
		o := roles.SharedOpen{Link: link2, Via: g.member("sh_a").ID, OpenID: "sh_e", Member: g.member("sh_e")}
		if r, err := g.client.OpenShared(ctx, o); err != nil || r.Paid != 5 {
			t.Fatalf("E opens A's next link the next day: %+v %v", r, err)
		}
		if a := balance("sh_a"); a != 20 {
			t.Fatalf("A's balance %d, want 20 (four friends paid, one over the cap)", a)
		}
		hist, _ := s.PointsHistory(ctx, g.member("sh_a").ID, 10)
		if len(hist) != 4 || hist[0].Source != models.SourceShare || hist[0].Reason != "sys:share_points:第二篇" {
			t.Fatalf("A's ledger: %+v", hist)
		}
		// The visitor follows from A's page (A's referral QR code).
		code, _ := s.ReferralCode(ctx, g.member("sh_a").ID)
		platform.Follow(ctx, g.Acct.AppID, "o_visitor", models.ReferralScenePrefix+code)
		if v := g.member("o_visitor"); v.ReferrerID == nil || *v.ReferrerID != g.member("sh_a").ID {
			t.Fatalf("the visitor's referrer: %v", v.ReferrerID)
		}
		if a, b := g.member("sh_a"), g.member("sh_b"); a.Level != models.LevelKeyPerson || b.Level != models.LevelSpreader {
			t.Fatalf("levels: A %s (want key person), B %s (want spreader)", a.Level, b.Level)
		}

		roots, err := s.ShareTree(ctx, link.ID)
		if err != nil || len(roots) != 1 || roots[0].OpenID != "sh_a" {
			t.Fatalf("tree roots: %+v %v", roots, err)
		}
		a := roots[0]
		if a.Friends != 4 || a.Reach != 5 || a.Opens != 2 {
			t.Fatalf("A's node: %+v", a)
		}
		var b *models.ShareNode
		for _, c := range a.Children {
			if c.OpenID == "sh_b" {
				b = c
			}
		}
		if b == nil || b.Opens != 5 || b.Paid != 5 || len(b.Children) != 1 || b.Children[0].OpenID != "sh_c" || b.Children[0].Depth != 2 {
			t.Fatalf("B's node: %+v", b)
		}
		st, err := s.ShareLinkReport(ctx, link.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Openers != 6 || st.OwnOpens != 1 || st.FriendOpens != 5 || st.Sharers != 2 || st.PointsPaid != 20 ||
			st.Follows != 1 || st.MaxDepth != 2 || st.Opens != 2+5+2+1+1+2 {
			t.Fatalf("report: %+v", st)
		}
		top, err := s.TopSpreaders(ctx, 0, 10)
		if err != nil || len(top) != 2 || top[0].OpenID != "sh_a" || top[0].Friends != 4 || top[0].Links != 2 || top[0].Follows != 1 || top[1].OpenID != "sh_b" {
			t.Fatalf("top spreaders: %+v %v", top, err)
		}
	})
}
