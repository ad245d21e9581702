// Package mediatest opens media stores for tests: a temporary directory, or
// a bucket on an in-process S3 fake (gofakes3), so that code using media
// runs against both kinds of storage without a network.
package mediatest

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/fivec/fivec/media"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FileURL returns a file:// URL of a fresh temporary directory.
func FileURL(tb testing.TB) string {
	tb.Helper()
	return (&url.URL{Scheme: "file", Path: tb.TempDir()}).String()
}

// S3URL starts an in-process S3 fake with one bucket and returns the s3://
// URL that reaches it. It sets the AWS credential variables for the test
// (so the test must not run in parallel with others that read them).
func S3URL(tb testing.TB) string {
	tb.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("fivec-media"); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	tb.Cleanup(srv.Close)
	tb.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	tb.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	tb.Setenv("AWS_REGION", "us-east-1")
	q := url.Values{}
	q.Set("endpoint", srv.URL)
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	q.Set("region", "us-east-1")
	return "s3://fivec-media?" + q.Encode()
}

// Kinds returns the store URLs every media test runs against, by name.
func Kinds(tb testing.TB) map[string]func(testing.TB) string {
	return map[string]func(testing.TB) string{"file": FileURL, "s3": S3URL}
}

// Open opens a store at rawURL and closes it when the test ends.
func Open(tb testing.TB, rawURL string) *media.Store {
	tb.Helper()
	s, err := media.Open(context.Background(), rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
