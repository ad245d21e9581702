package fake

import (
	"strconv"
	"unicode/utf8"
)

// userInfo is user/info as the platform answers it since 2021: no nickname,
// avatar, sex or region. An unsubscribed fan gets only subscribe and openid.
func userInfo(f *fan) map[string]any {
	if !f.Subscribed {
		return map[string]any{"subscribe": 0, "openid": f.OpenID}
	}
	tags := append([]int{}, f.Tags...)
	info := map[string]any{
		"subscribe":       1,
		"openid":          f.OpenID,
		"language":        "zh_CN",
		"subscribe_time":  f.SubscribeTime.Unix(),
		"remark":          f.Remark,
		"groupid":         0,
		"tagid_list":      tags,
		"subscribe_scene": f.Scene,
		"qr_scene":        0,
		"qr_scene_str":    "",
	}
	if id, err := strconv.Atoi(f.QRScene); err == nil {
		info["qr_scene"] = id
	} else {
		info["qr_scene_str"] = f.QRScene
	}
	return info
}

// handleUserInfo is GET /cgi-bin/user/info?openid=: 40003 for an openid the
// account never saw.
func (s *Server) handleUserInfo(c *apiCall) reply {
	f := c.acct.fans[c.query.Get("openid")]
	if f == nil {
		return fail(40003, "")
	}
	return data(userInfo(f))
}

// handleUserBatchGet is POST /cgi-bin/user/info/batchget: at most 100 users
// (else 40032); one unknown openid fails the whole call with 40003.
func (s *Server) handleUserBatchGet(c *apiCall) reply {
	var req struct {
		UserList []struct {
			OpenID string `json:"openid"`
		} `json:"user_list"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if len(req.UserList) == 0 || len(req.UserList) > 100 {
		return fail(40032, "1 to 100 users")
	}
	list := make([]map[string]any, 0, len(req.UserList))
	for _, u := range req.UserList {
		f := c.acct.fans[u.OpenID]
		if f == nil {
			return fail(40003, u.OpenID)
		}
		list = append(list, userInfo(f))
	}
	return data(map[string]any{"user_info_list": list})
}

// handleUpdateRemark is POST /cgi-bin/user/info/updateremark. A remark is
// at most 30 characters; the platform's errcode beyond is undocumented, the
// fake answers 40035.
func (s *Server) handleUpdateRemark(c *apiCall) reply {
	var req struct {
		OpenID string `json:"openid"`
		Remark string `json:"remark"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	f := c.acct.fans[req.OpenID]
	if f == nil {
		return fail(40003, "")
	}
	if utf8.RuneCountInString(req.Remark) > 30 {
		return fail(40035, "remark longer than 30")
	}
	f.Remark = req.Remark
	return ok(nil)
}

// page lists up to PageSize openids of a.order that pass keep, starting
// after next ("" = from the start). It returns ok=false for an unknown next.
// next_openid is the page's last openid, "" when the page is empty.
func (s *Server) page(a *account, next string, keep func(*fan) bool) (ids []string, nextOut string, ok bool) {
	start := 0
	if next != "" {
		start = -1
		for i, id := range a.order {
			if id == next {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, "", false
		}
	}
	ids = []string{}
	for _, id := range a.order[start:] {
		if len(ids) == s.opts.PageSize {
			break
		}
		if keep(a.fans[id]) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		nextOut = ids[len(ids)-1]
	}
	return ids, nextOut, true
}

// handleUserGet is GET /cgi-bin/user/get?next_openid=: the followers, in
// the order they were first seen, PageSize per page.
func (s *Server) handleUserGet(c *apiCall) reply {
	subscribed := func(f *fan) bool { return f.Subscribed }
	ids, next, found := s.page(c.acct, c.query.Get("next_openid"), subscribed)
	if !found {
		return fail(40003, "next_openid")
	}
	total := 0
	for _, f := range c.acct.fans {
		if f.Subscribed {
			total++
		}
	}
	body := map[string]any{"total": total, "count": len(ids), "next_openid": next}
	if len(ids) > 0 {
		body["data"] = map[string]any{"openid": ids}
	}
	return data(body)
}
