package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// exportRevision writes the tree of git revision rev of the repository at
// root into dir with `git archive`, which leaves the repository and its
// working tree untouched, and returns the full commit id. Building from it
// measures a known commit while others edit the working tree.
func exportRevision(ctx context.Context, root, rev, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--verify", rev+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("-fivec-rev %s: not a commit: %v", rev, err)
	}
	id := strings.TrimSpace(string(out))
	cmd := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", id)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	tr := tar.NewReader(pipe)
	for err == nil {
		var hdr *tar.Header
		if hdr, err = tr.Next(); err != nil {
			break
		}
		name := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if !strings.HasPrefix(name, filepath.Clean(dir)+string(filepath.Separator)) {
			continue // not below dir: never written
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, 0o755)
		case tar.TypeReg:
			err = writeFile(name, tr, hdr.FileInfo().Mode().Perm())
		}
	}
	_, _ = io.Copy(io.Discard, pipe)
	if werr := cmd.Wait(); werr != nil {
		return "", fmt.Errorf("git archive %s: %v: %s", id, werr, stderr.Bytes())
	}
	if !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("unpack git archive %s: %w", id, err)
	}
	return id, nil
}

func writeFile(name string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}
