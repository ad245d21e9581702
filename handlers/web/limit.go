package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// LimitBody refuses request bodies over n bytes, before anything reads
// them: 413 at once when Content-Length says so; otherwise (chunked) the
// body is cut at n, so a form or upload that goes on fails to parse. Without
// it a form post is parsed up to net/http's 10 MB and a multipart one up to
// gin's 32 MB in memory (the rest on disk), also for anyone who is not
// logged in.
func LimitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			c.Header("Connection", "close")
			c.Data(http.StatusRequestEntityTooLarge, "text/plain; charset=utf-8", []byte("request body too large"))
			c.Abort()
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}
