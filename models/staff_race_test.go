package models_test

import (
	"context"
	"sync"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestAdminsCannotDisableEachOtherToZero: the only two admins, on two
// stores (two processes' connection pools on one database), disable (or
// demote) each other at the same moment, 40 rounds. At least one enabled
// admin always remains, and the one refused gets ECONFLICT. Before the
// admin rows were locked, MariaDB let both through on the first round.
func TestAdminsCannotDisableEachOtherToZero(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			var admins [2]*models.Staff
			for i, name := range []string{"ann", "bea"} {
				st, err := s1.CreateStaff(ctx, models.NewStaff{Username: name, Password: "violet-harbour-42", Role: models.RoleAdmin})
				if err != nil {
					t.Fatal(err)
				}
				admins[i] = st
			}
			if _, err := s1.CreateStaff(ctx, models.NewStaff{Username: "cat", Password: "violet-harbour-42", Role: models.RoleAgent}); err != nil {
				t.Fatal(err)
			}
			yes, no, agent, admin := true, false, models.RoleAgent, models.RoleAdmin
			for round := range 40 {
				change := models.StaffUpdate{Disabled: &yes}
				if round%2 == 1 {
					change = models.StaffUpdate{Role: &agent}
				}
				var wg sync.WaitGroup
				errs := make([]error, 2)
				start := make(chan struct{})
				for i, s := range []*models.Store{s1, s2} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, errs[i] = s.UpdateStaff(ctx, admins[1-i].ID, change) // each changes the other
					}()
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil && models.ErrorCode(err) != models.ECONFLICT {
						t.Fatalf("round %d, store %d: %v", round, i+1, err)
					}
				}
				staff, err := s1.ListStaff(ctx)
				if err != nil {
					t.Fatal(err)
				}
				enabled := 0
				for _, st := range staff {
					if st.Role == models.RoleAdmin && !st.Disabled {
						enabled++
					}
				}
				if enabled != 1 || (errs[0] == nil) == (errs[1] == nil) {
					t.Fatalf("round %d (%+v): %d enabled admins left, errors %v; want 1 and one refusal", round, change, enabled, errs)
				}
				for _, st := range admins { // both admins again for the next round
					if _, err := s1.UpdateStaff(ctx, st.ID, models.StaffUpdate{Disabled: &no, Role: &admin}); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
