package console

import "strings"

// The tracked-link pages of handlers/fan (share.go): /fan/t/<id> as staff
// send it, /fan/s/<token> under a fan's own token. The simulator opens them
// in the phone and lets the fan "share" the page to another simulated fan:
// the other fan's phone opens the address the page's share card carries
// (static/simshare.js reads it from the page), as a friend who taps the
// shared card in a chat would. The console does not import handlers/fan
// (transports never import each other), hence the paths here.
const (
	simTrackedPrefix = "/fan/t/"
	simSharePrefix   = "/fan/s/"
)

// isSharePath reports whether path is a tracked link's page.
func isSharePath(path string) bool {
	return strings.HasPrefix(path, simTrackedPrefix) || strings.HasPrefix(path, simSharePrefix)
}
