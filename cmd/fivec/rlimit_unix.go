//go:build unix

package main

import "syscall"

// fileLimit is the process's soft limit on open files (0 when unknown). Go
// raises the soft limit to the hard one at start-up, so this is what the
// process may really use.
func fileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return uint64(rl.Cur)
}
