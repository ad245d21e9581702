package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// FinishWrites returns middleware that lets a request that changes
// something (any method but GET, HEAD and OPTIONS) run to its end when the
// client hangs up: its context keeps the request's values but not its
// cancellation, and ends after timeout instead. Without it a client that
// disconnected after a change committed cancelled what followed it, the
// audit entry included (a rules import replaced 20,000 rules and left no
// audit row). Reads still stop when their client goes.
func FinishWrites(timeout time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), timeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
