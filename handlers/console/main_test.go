package console_test

import (
	"testing"

	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

// platform is the fake WeChat API every test in this package talks to.
var platform *fake.Server

func TestMain(m *testing.M) { faketest.Main(m, fake.Options{}, &platform) }

// wxClient returns a client for a fresh account on the fake platform.
func wxClient() *wechat.Client { return faketest.Client(platform) }
