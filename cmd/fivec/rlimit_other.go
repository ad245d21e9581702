//go:build !unix

package main

// fileLimit is unknown off Unix: connLimit then assumes 1024 files.
func fileLimit() uint64 { return 0 }
