package main

import (
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/handlers/fan"
	"github.com/fivec/fivec/metrics"
)

// wireConsole mounts the staff console and the JSON API.
func wireConsole(a *app, m *metrics.Metrics) {
	con := &console.Handler{Store: a.store, Log: a.log, Loc: a.cfg.Location, Now: time.Now,
		Consulting: a.consulting, Service: a.service, WX: a.wx, Policy: broadcastPolicy(a.cfg), Mass: a.mass, Closing: a.closing, Library: a.library, Drafts: a.drafts, Live: a.live}
	con.FanFiles = a.fanFiles
	if a.sandbox != nil {
		con.Sim = simulator{a.sandbox}
	}
	if a.client != nil {
		con.PublicURL = a.baseURL
		for _, p := range fan.Pages {
			con.FanPages = append(con.FanPages, console.FanPage{Path: p.Path, Name: p.Name})
		}
	}
	a.server.Console = con
	a.server.Fan = &fan.Handler{Store: a.store, Log: a.log, Client: a.client, OAuth: a.wx.OAuth(a.oauthBase),
		Key: fan.SessionKey(a.wx.Account.AppSecret), PublicURL: a.baseURL, Sandbox: a.sandbox != nil,
		Share: &fan.Sharing{AppID: a.wx.Account.AppID, Tickets: a.jsTicket, Referrals: a.wx}}
	a.server.API = &api.Handler{Store: a.store, Log: a.log, Loc: a.cfg.Location, Consulting: a.consulting, Service: a.service, WX: a.wx,
		Policy: broadcastPolicy(a.cfg), Mass: a.mass, Library: a.library, Drafts: a.drafts, Live: a.live}
}
