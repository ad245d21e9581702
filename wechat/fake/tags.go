package fake

import (
	"fmt"
	"slices"
	"sort"
)

// Tag limits from wechat-platform.md §7.
const (
	maxTagsPerAccount = 100 // custom tags; 45056 beyond
	maxTagsPerFan     = 20  // 45059 beyond
	maxTagNameBytes   = 30  // 45158 beyond
	maxBatchTagging   = 50  // openids per call; 40032 beyond
	firstCustomTagID  = 100 // ids below are the system's (0, 1, 2 reserved)
)

type tag struct {
	id   int
	name string
}

func (a *account) tagCount(id int) int {
	n := 0
	for _, f := range a.fans {
		if f.Subscribed && slices.Contains(f.Tags, id) {
			n++
		}
	}
	return n
}

// checkTagName answers 45157 (empty or taken by another tag) or 45158 (over
// 30 bytes), nil when the name is fine.
func (a *account) checkTagName(name string, self int) *reply {
	var r reply
	switch {
	case name == "":
		r = fail(45157, "empty name")
	case len(name) > maxTagNameBytes:
		r = fail(45158, fmt.Sprintf("%d bytes, limit %d", len(name), maxTagNameBytes))
	default:
		for id, t := range a.tags {
			if t.name == name && id != self {
				r = fail(45157, "name taken")
				return &r
			}
		}
		return nil
	}
	return &r
}

// handleTagCreate is POST /cgi-bin/tags/create {"tag":{"name":...}}.
func (s *Server) handleTagCreate(c *apiCall) reply {
	var req struct {
		Tag struct {
			Name string `json:"name"`
		} `json:"tag"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	a := c.acct
	if rep := a.checkTagName(req.Tag.Name, -1); rep != nil {
		return *rep
	}
	custom := 0
	for id := range a.tags {
		if id >= firstCustomTagID {
			custom++
		}
	}
	if custom >= maxTagsPerAccount {
		return fail(45056, "")
	}
	t := &tag{id: a.nextTagID, name: req.Tag.Name}
	a.nextTagID++
	a.tags[t.id] = t
	return data(map[string]any{"tag": map[string]any{"id": t.id, "name": t.name}})
}

// handleTagGet is GET /cgi-bin/tags/get: every tag with its follower count.
func (s *Server) handleTagGet(c *apiCall) reply {
	ids := make([]int, 0, len(c.acct.tags))
	for id := range c.acct.tags {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	list := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		list = append(list, map[string]any{"id": id, "name": c.acct.tags[id].name, "count": c.acct.tagCount(id)})
	}
	return data(map[string]any{"tags": list})
}

type tagRef struct {
	Tag struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"tag"`
}

// editableTag answers 45058 for the system tags 0/1/2 and 45159 for
// unknown ids.
func (a *account) editableTag(id int) (*tag, *reply) {
	var r reply
	switch {
	case id >= 0 && id <= 2:
		r = fail(45058, "")
	case a.tags[id] == nil:
		r = fail(45159, fmt.Sprint(id))
	default:
		return a.tags[id], nil
	}
	return nil, &r
}

// handleTagUpdate is POST /cgi-bin/tags/update {"tag":{"id","name"}}.
func (s *Server) handleTagUpdate(c *apiCall) reply {
	var req tagRef
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	t, rep := c.acct.editableTag(req.Tag.ID)
	if rep != nil {
		return *rep
	}
	if rep := c.acct.checkTagName(req.Tag.Name, t.id); rep != nil {
		return *rep
	}
	t.name = req.Tag.Name
	return ok(nil)
}

// handleTagDelete is POST /cgi-bin/tags/delete {"tag":{"id"}}; the tag
// leaves every fan.
func (s *Server) handleTagDelete(c *apiCall) reply {
	var req tagRef
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	t, rep := c.acct.editableTag(req.Tag.ID)
	if rep != nil {
		return *rep
	}
	delete(c.acct.tags, t.id)
	for _, f := range c.acct.fans {
		f.Tags = slices.DeleteFunc(f.Tags, func(id int) bool { return id == t.id })
	}
	return ok(nil)
}

// batchTagFans checks a batch (un)tagging request: 1–50 openids (40032), a
// known tag (45159), followers only (40003). It returns the fans.
func (s *Server) batchTagFans(c *apiCall) ([]*fan, int, *reply) {
	var req struct {
		OpenIDList []string `json:"openid_list"`
		TagID      int      `json:"tagid"`
	}
	if rep := c.decode(&req); rep != nil {
		return nil, 0, rep
	}
	bad := func(code int, hint string) ([]*fan, int, *reply) {
		r := fail(code, hint)
		return nil, 0, &r
	}
	if len(req.OpenIDList) == 0 || len(req.OpenIDList) > maxBatchTagging {
		return bad(40032, fmt.Sprintf("%d openids, 1 to %d", len(req.OpenIDList), maxBatchTagging))
	}
	if c.acct.tags[req.TagID] == nil {
		return bad(45159, fmt.Sprint(req.TagID))
	}
	fans := make([]*fan, 0, len(req.OpenIDList))
	for _, id := range req.OpenIDList {
		f := c.acct.fans[id]
		if f == nil || !f.Subscribed {
			return bad(40003, id)
		}
		fans = append(fans, f)
	}
	return fans, req.TagID, nil
}

// handleBatchTagging is POST /cgi-bin/tags/members/batchtagging. Nothing
// changes when one fan would pass 20 tags (45059).
func (s *Server) handleBatchTagging(c *apiCall) reply {
	fans, id, rep := s.batchTagFans(c)
	if rep != nil {
		return *rep
	}
	for _, f := range fans {
		if !slices.Contains(f.Tags, id) && len(f.Tags) >= maxTagsPerFan {
			return fail(45059, f.OpenID)
		}
	}
	for _, f := range fans {
		if !slices.Contains(f.Tags, id) {
			f.Tags = append(f.Tags, id)
		}
	}
	return ok(nil)
}

// handleBatchUntagging is POST /cgi-bin/tags/members/batchuntagging.
func (s *Server) handleBatchUntagging(c *apiCall) reply {
	fans, id, rep := s.batchTagFans(c)
	if rep != nil {
		return *rep
	}
	for _, f := range fans {
		f.Tags = slices.DeleteFunc(f.Tags, func(t int) bool { return t == id })
	}
	return ok(nil)
}

// handleTagIDList is POST /cgi-bin/tags/getidlist {"openid"}.
func (s *Server) handleTagIDList(c *apiCall) reply {
	var req struct {
		OpenID string `json:"openid"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	f := c.acct.fans[req.OpenID]
	if f == nil {
		return fail(40003, "")
	}
	return data(map[string]any{"tagid_list": append([]int{}, f.Tags...)})
}

// handleTagUsers is POST /cgi-bin/user/tag/get {"tagid","next_openid"}:
// the tag's followers, PageSize per page.
func (s *Server) handleTagUsers(c *apiCall) reply {
	var req struct {
		TagID      int    `json:"tagid"`
		NextOpenID string `json:"next_openid"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if c.acct.tags[req.TagID] == nil {
		return fail(45159, fmt.Sprint(req.TagID))
	}
	tagged := func(f *fan) bool { return f.Subscribed && slices.Contains(f.Tags, req.TagID) }
	ids, next, found := s.page(c.acct, req.NextOpenID, tagged)
	if !found {
		return fail(40003, "next_openid")
	}
	body := map[string]any{"count": len(ids), "next_openid": next}
	if len(ids) > 0 {
		body["data"] = map[string]any{"openid": ids}
	}
	return data(body)
}
