// Package fake is an in-memory WeChat official-account platform for tests,
// load generation and fivec's in-browser fan simulator.
//
// A *Server plays both sides of the real platform:
//
//   - The API side: Server is an http.Handler answering the paths of
//     https://api.weixin.qq.com (token, customer-service, template and mass
//     messages, users, tags, QR codes, menus) with the real JSON shapes and
//     errcodes, so github.com/silenceper/wechat/v2 talks to it unchanged once
//     its URI modifier points api.weixin.qq.com at the fake.
//   - The fan side: simulated fans follow, unfollow, scan, click and send
//     messages. Each action builds the callback XML WeChat would send, signs it
//     (plain mode, or safe mode when the account has an EncodingAESKey), POSTs
//     it to the account's callback URL and parses the passive reply. Whatever
//     the fan's phone would show lands in the fan's inbox (see Inbox).
//
// The platform rules it enforces (48 h / 1 min windows and their quotas,
// token expiry, tag and menu limits, mass-send idempotency, rate limits) come
// from /work/shared/wechat-platform.md; every number is an Options field.
// All state sits behind one mutex and every clock read goes through
// Options.Now, so tests can run in parallel under -race and move time at will.
// Several accounts can share one Server: give each test its own AppID.
//
// With Options.State (FileState: a JSON file replaced atomically) the
// platform's state survives a restart: Open loads it and every change saves
// it (state.go lists what is kept and how to add more). Sequence numbers
// (MsgIds, tickets) continue from the saved counter and never start below
// the clock, so a MsgId is never handed out twice. Media ids in messages
// must be ones the platform issued (uploads, fans' own media) or seeded
// (SeedMedia); others are refused with 40007, as on WeChat.
package fake
