// Package media keeps fivec's media files (the bytes of images, voice, video
// and thumbs in the 素材库) in a blob bucket: a local directory (file://) for
// one process, or an S3-compatible bucket (s3://) when several replicas share
// the files. The database keeps each file's key; only this package touches
// the bytes.
package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets
	_ "gocloud.dev/blob/s3blob"   // s3:// buckets
	"gocloud.dev/gcerrors"
)

// ErrNotFound is returned for a key the bucket does not hold.
var ErrNotFound = errors.New("media: no such file")

// Store is a bucket of media files, safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	scheme string
}

// Open opens the bucket at rawURL: file:///abs/dir (the directory is created
// if missing) or s3://bucket?region=…[&endpoint=…&use_path_style=true] with
// credentials from the usual AWS environment variables.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("media: bad URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		if u.Path == "" {
			return nil, fmt.Errorf("media: %q has no directory", rawURL)
		}
		if err := os.MkdirAll(u.Path, 0o750); err != nil {
			return nil, fmt.Errorf("media: create %s: %w", u.Path, err)
		}
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("media: %q names no bucket", rawURL)
		}
	default:
		return nil, fmt.Errorf("media: unsupported scheme %q (want file or s3)", u.Scheme)
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("media: open %s://%s: %w", u.Scheme, u.Host+u.Path, err)
	}
	return &Store{bucket: b, scheme: u.Scheme}, nil
}

// Scheme is "file" or "s3".
func (s *Store) Scheme() string { return s.scheme }

// Put writes data under key, replacing what was there.
func (s *Store) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	opts := &blob.WriterOptions{ContentType: contentType}
	if err := s.bucket.WriteAll(ctx, key, data, opts); err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	return nil
}

// Get reads the whole file at key; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	data, err := s.bucket.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("media: get %s: %w", key, err)
	}
	return data, nil
}

// File is an open file: its bytes, type and size. Close it.
type File struct {
	io.ReadCloser
	ContentType string
	Size        int64
	ModTime     time.Time
}

// Open opens the file at key for streaming; ErrNotFound when there is none.
func (s *Store) Open(ctx context.Context, key string) (*File, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", key, err)
	}
	return &File{ReadCloser: r, ContentType: r.ContentType(), Size: r.Size(), ModTime: r.ModTime()}, nil
}

// Exists reports whether key holds a file.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("media: exists %s: %w", key, err)
	}
	return ok, nil
}

// Delete removes the file at key. A key already gone is not an error, so a
// retried delete is harmless.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	return nil
}

// Keys lists the keys under prefix, in order (for checks and clean-ups).
func (s *Store) Keys(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("media: list %s: %w", prefix, err)
		}
		if !obj.IsDir {
			out = append(out, obj.Key)
		}
	}
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// NewKey returns a fresh key for a file of the given kind (image, voice,
// video, thumb, …) and extension: kind/yyyy/mm/<random>.ext. Keys never
// repeat, so an upload never overwrites another file.
func NewKey(kind, ext string, now time.Time) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	ext = strings.TrimPrefix(strings.ToLower(ext), ".")
	key := path.Join(kind, now.UTC().Format("2006/01"), hex.EncodeToString(b[:]))
	if ext != "" {
		key += "." + ext
	}
	return key
}

// checkKey refuses keys that could escape a file:// directory or that
// buckets treat differently (absolute, "..", empty).
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return fmt.Errorf("media: bad key %q", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("media: bad key %q", key)
		}
	}
	return nil
}
