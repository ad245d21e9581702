package jobs

import "github.com/fivec/fivec/delivery"

// Broadcasts runs the broadcast scheduler and the mass sender every 5 s.
func (r *Runner) Broadcasts(b *delivery.Broadcasts) Job {
	return Job{Name: "broadcasts", Spec: "@every 5s", Run: b.RunOnce}
}
