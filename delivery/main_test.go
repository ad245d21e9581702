package delivery_test

import (
	"testing"

	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

var platform *fake.Server

func TestMain(m *testing.M) { faketest.Main(m, fake.Options{PageSize: 100}, &platform) }
