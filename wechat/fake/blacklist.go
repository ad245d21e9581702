package fake

import "fmt"

// maxBlacklistBatch is how many openids one blacklist call takes
// (wechat-platform.md §7); more answer 40032.
const maxBlacklistBatch = 20

// blacklistFans checks a batch (un)blacklist request: 1–20 openids (40032),
// each a fan of the account, following or not (40003).
func (s *Server) blacklistFans(c *apiCall) ([]*fan, *reply) {
	var req struct {
		OpenIDList []string `json:"openid_list"`
	}
	if rep := c.decode(&req); rep != nil {
		return nil, rep
	}
	if len(req.OpenIDList) == 0 || len(req.OpenIDList) > maxBlacklistBatch {
		r := fail(40032, fmt.Sprintf("%d openids, 1 to %d", len(req.OpenIDList), maxBlacklistBatch))
		return nil, &r
	}
	fans := make([]*fan, 0, len(req.OpenIDList))
	for _, id := range req.OpenIDList {
		f := c.acct.fans[id]
		if f == nil {
			r := fail(40003, id)
			return nil, &r
		}
		fans = append(fans, f)
	}
	return fans, nil
}

// handleBatchBlacklist is POST /cgi-bin/tags/members/batchblacklist
// {"openid_list"}. Nothing changes when one openid is refused.
func (s *Server) handleBatchBlacklist(c *apiCall) reply {
	fans, rep := s.blacklistFans(c)
	if rep != nil {
		return *rep
	}
	for _, f := range fans {
		f.Blacklisted = true
	}
	return ok(nil)
}

// handleBatchUnblacklist is POST /cgi-bin/tags/members/batchunblacklist.
func (s *Server) handleBatchUnblacklist(c *apiCall) reply {
	fans, rep := s.blacklistFans(c)
	if rep != nil {
		return *rep
	}
	for _, f := range fans {
		f.Blacklisted = false
	}
	return ok(nil)
}

// handleGetBlacklist is POST /cgi-bin/tags/members/getblacklist
// {"begin_openid"}: the blacklisted fans, PageSize per page, with the total.
func (s *Server) handleGetBlacklist(c *apiCall) reply {
	var req struct {
		BeginOpenID string `json:"begin_openid"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	listed := func(f *fan) bool { return f.Blacklisted }
	total := 0
	for _, f := range c.acct.fans {
		if listed(f) {
			total++
		}
	}
	ids, next, found := s.page(c.acct, req.BeginOpenID, listed)
	if !found {
		return fail(40003, "begin_openid")
	}
	body := map[string]any{"total": total, "count": len(ids), "next_openid": next}
	if len(ids) > 0 {
		body["data"] = map[string]any{"openid": ids}
	}
	return data(body)
}
