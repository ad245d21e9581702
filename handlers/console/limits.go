package console

// Request body limits (web.LimitBody). The largest console request is a
// rules file upload.
const (
	// MaxRequest bounds every console request: a rules file and its form.
	MaxRequest = maxRulesFile + 1<<20
	// MaxLoginRequest bounds the login form, which anyone may post.
	MaxLoginRequest = 16 << 10
)
