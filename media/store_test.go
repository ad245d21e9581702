package media_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/media"
	"github.com/fivec/fivec/media/mediatest"
)

// TestStoreRoundTrip runs the same put/get/open/list/delete cycle on a
// local directory and on an S3 bucket (in-process fake).
func TestStoreRoundTrip(t *testing.T) {
	for name, mk := range mediatest.Kinds(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := mediatest.Open(t, mk(t))
			if s.Scheme() != name {
				t.Errorf("scheme %q, want %q", s.Scheme(), name)
			}
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			key := media.NewKey("image", ".PNG", now)
			if !strings.HasPrefix(key, "image/2026/12/") || !strings.HasSuffix(key, ".png") {
				t.Fatalf("key %q", key)
			}
			if other := media.NewKey("image", "png", now); other == key {
				t.Fatal("NewKey repeated a key")
			}
			if _, err := s.Get(ctx, key); !errors.Is(err, media.ErrNotFound) {
				t.Fatalf("get before put: %v, want ErrNotFound", err)
			}
			data := []byte("\x89PNG\r\n\x1a\nfake-image-bytes")
			if err := s.Put(ctx, key, data, "image/png"); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, key)
			if err != nil || string(got) != string(data) {
				t.Fatalf("get: %q, %v", got, err)
			}
			f, err := s.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(f)
			f.Close()
			if string(body) != string(data) || f.ContentType != "image/png" || f.Size != int64(len(data)) {
				t.Errorf("open: %q type %q size %d", body, f.ContentType, f.Size)
			}
			if ok, err := s.Exists(ctx, key); !ok || err != nil {
				t.Errorf("exists: %v %v", ok, err)
			}
			keys, err := s.Keys(ctx, "image/")
			if err != nil || len(keys) != 1 || keys[0] != key {
				t.Errorf("keys: %q %v", keys, err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("second delete: %v (want harmless)", err)
			}
			if ok, _ := s.Exists(ctx, key); ok {
				t.Error("file still there after delete")
			}
			if _, err := s.Open(ctx, key); !errors.Is(err, media.ErrNotFound) {
				t.Errorf("open after delete: %v", err)
			}
		})
	}
}

func TestStoreRefusesBadKeysAndURLs(t *testing.T) {
	ctx := context.Background()
	s := mediatest.Open(t, mediatest.FileURL(t))
	for _, key := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", `a\b`} {
		if err := s.Put(ctx, key, []byte("x"), ""); err == nil {
			t.Errorf("Put(%q) accepted", key)
		}
	}
	for _, u := range []string{"ftp://x/y", "s3://", "file://", "::"} {
		if _, err := media.Open(ctx, u); err == nil {
			t.Errorf("Open(%q) accepted", u)
		}
	}
}
