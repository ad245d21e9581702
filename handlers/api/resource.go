package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
)

// findByID resolves the :id parameter with find, answering the error
// (404 for a malformed or unknown id) itself.
func findByID[M any](c *gin.Context, find func(context.Context, uint64) (*M, error)) (*M, bool) {
	m, err := loadByID(c, find)
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return m, true
}

// loadByID resolves the :id parameter with find and leaves answering an
// error to the caller.
func loadByID[M any](c *gin.Context, find func(context.Context, uint64) (*M, error)) (*M, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	return find(c.Request.Context(), id)
}

// respondList answers the rows a store call returned (or its error) as a
// List, each row mapped to its response type by out.
func respondList[M, T any](c *gin.Context, rows []M, err error, out func(*M) T) {
	respondListErr(c, rows, err, func(m *M) (T, error) { return out(m), nil })
}

// respondListErr is respondList for mappings that can fail (e.g. ones that
// query statistics per row): the first failure is answered instead.
func respondListErr[M, T any](c *gin.Context, rows []M, err error, out func(*M) (T, error)) {
	if err != nil {
		web.Error(c, err)
		return
	}
	list := List[T]{Items: make([]T, 0, len(rows))}
	for i := range rows {
		v, err := out(&rows[i])
		if err != nil {
			web.Error(c, err)
			return
		}
		list.Items = append(list.Items, v)
	}
	c.JSON(http.StatusOK, list)
}

// respondOne answers the :id resource that find returns, mapped to its
// response type by out (which may query more, e.g. statistics).
func respondOne[M, T any](c *gin.Context, find func(context.Context, uint64) (*M, error), out func(*M) (T, error)) {
	m, ok := findByID(c, find)
	if !ok {
		return
	}
	v, err := out(m)
	respond(c, v, err)
}

// respond answers v, or err when there is one (mapped to its HTTP status
// in web.Error).
func respond[T any](c *gin.Context, v T, err error) {
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
