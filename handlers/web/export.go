package web

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// MemberTarget is how audit entries about a member's data name them: by id,
// never by openid (an erased member must not stay recognisable there).
func MemberTarget(id uint64) string { return "member #" + strconv.FormatUint(id, 10) }

// download starts a file download of name.format (csv or json).
func download(c *gin.Context, name, format string) {
	ctype := "text/csv; charset=utf-8"
	if format == roles.ExportJSON {
		ctype = "application/json; charset=utf-8"
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
}

// ServeMemberExport sends everything fivec holds about the fan with openid
// as a download in format (roles.ExportCSV or ExportJSON), audited. The
// console and the API both serve exports with it.
func ServeMemberExport(c *gin.Context, s *models.Store, log *slog.Logger, openID, format string) {
	if err := roles.ValidExportFormat(format); err != nil {
		Error(c, err)
		return
	}
	e, err := s.ExportMember(c.Request.Context(), openID)
	if err != nil {
		Error(c, err)
		return
	}
	Audit(c, s, "member.export", MemberTarget(e.Member.ID), format)
	download(c, "member-"+strconv.FormatUint(e.Member.ID, 10), format)
	ew, err := roles.NewExportWriter(c.Writer, format, true)
	if err == nil {
		if err = ew.Write(e); err == nil {
			err = ew.Close()
		}
	}
	if err != nil {
		log.Warn("member export cut short", "member", e.Member.ID, "err", err)
	}
}

// ServeSegmentExport streams the export of every member of saved segment id
// (a hundred members at a time) as a download in format, audited with the
// number of members written.
func ServeSegmentExport(c *gin.Context, s *models.Store, log *slog.Logger, id uint64, format string) {
	err := roles.ValidExportFormat(format)
	var sg *models.Segment
	if err == nil {
		sg, err = s.FindSegment(c.Request.Context(), id)
	}
	var f models.SegmentFilter
	if err == nil {
		f, err = sg.Decode()
	}
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		Error(c, err)
		return
	}
	download(c, "segment-"+strconv.FormatUint(id, 10), format)
	n, err := roles.ExportSegment(c.Request.Context(), s, f, c.Writer, format)
	detail := format + ", " + strconv.Itoa(n) + " members"
	if err != nil {
		log.Warn("segment export cut short", "segment", id, "members", n, "err", err)
		detail += " (cut short)"
	}
	Audit(c, s, "segment.export", "segment #"+strconv.FormatUint(id, 10), detail)
}
