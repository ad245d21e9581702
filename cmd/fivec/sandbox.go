package main

import (
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// sandboxAppID is the fake account's AppID in sandbox mode.
const sandboxAppID = "wxsandbox0000000000"

// sandbox is the in-process fake WeChat used when no credentials are set:
// it serves the API the SDK calls and plays the fans in the simulator.
type sandbox struct {
	fake    *fake.Server
	account wechat.Account
}

// newSandbox creates the fake platform with one safe-mode account whose
// callbacks go to base + "/wechat".
func newSandbox(base string) *sandbox {
	acct := wechat.Account{AppID: sandboxAppID, AppSecret: randomKey(32), Token: randomKey(32), AESKey: randomKey(43)}
	f := fake.New(fake.Options{})
	f.AddAccount(fake.Account{
		AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token, EncodingAESKey: acct.AESKey,
		CallbackURL: base + "/wechat", Verified: true,
	})
	return &sandbox{fake: f, account: acct}
}
