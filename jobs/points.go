package jobs

import "context"

// SettleReferrals pays referral rewards that came due (the friend stayed)
// and reverses those whose friend left, every 10 minutes; dailyCap is read
// at each run (the cap in force, which the console may change).
func (r *Runner) SettleReferrals(dailyCap func() int) Job {
	return Job{Name: "settle-referrals", Spec: "@every 10m", Run: func(ctx context.Context) error {
		paid, reversed, err := r.Store.SettleReferralRewards(ctx, dailyCap())
		if paid+reversed > 0 {
			r.Log.Info("referral rewards settled", "paid", paid, "reversed", reversed)
		}
		return err
	}}
}

// ExpirePoints expires points past their life, oldest first, every hour.
func (r *Runner) ExpirePoints() Job {
	return Job{Name: "expire-points", Spec: "@every 1h", Run: func(ctx context.Context) error {
		for {
			n, err := r.Store.ExpirePoints(ctx, 500)
			if err != nil || n < 500 {
				if n > 0 {
					r.Log.Info("points expired", "lots", n)
				}
				return err
			}
		}
	}}
}
