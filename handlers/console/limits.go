package console

// Request body limits (web.LimitBody). The largest console request is a
// media library upload (an image or video of up to 10 MB).
const (
	// MaxRequest bounds every console request: a material (or a rules
	// file) and its form.
	MaxRequest = max(maxMaterial, maxRulesFile) + 1<<20
	// MaxLoginRequest bounds the login form, which anyone may post.
	MaxLoginRequest = 16 << 10
)
