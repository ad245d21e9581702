package web

import "time"

// DefaultLoc is the zone the console and the API show times in when cmd/fivec
// gave them none (tests): the account default, Asia/Shanghai, or UTC+8 where
// the system has no zone database.
func DefaultLoc() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return loc
}
