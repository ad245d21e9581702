package models

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Material is the local copy of one of the account's permanent materials
// (素材库): what WeChat's batchget_material says, plus where fivec keeps the
// file (FileKey in the media store; "" when only WeChat has it, e.g. a
// video made in WeChat's own console). A row exists only for a material
// WeChat holds: uploads insert it after add_material succeeded.
type Material struct {
	ID uint64 `gorm:"primaryKey"`
	// MediaID is WeChat's permanent media_id.
	MediaID string `gorm:"size:191;not null;uniqueIndex"`
	// Kind is image, voice, video, thumb or news.
	Kind string `gorm:"size:16;not null;index:idx_materials_kind_updated,priority:1"`
	// Name is the file name (the first article's title for news).
	Name string `gorm:"size:255;not null;default:''"`
	// Title and Description: a video's; for news the articles' titles.
	Title       string `gorm:"size:255;not null;default:''"`
	Description string `gorm:"type:text"`
	// URL is the image's address on WeChat (mmbiz.qpic.cn).
	URL         string `gorm:"size:1024;not null;default:''"`
	FileKey     string `gorm:"size:255;not null;default:''"`
	ContentType string `gorm:"size:64;not null;default:''"`
	Size        int64  `gorm:"not null;default:0"`
	// ThumbMediaID is a news material's cover (first article).
	ThumbMediaID string `gorm:"size:191;not null;default:''"`
	// WeChatUpdatedAt is WeChat's update_time; lists sort by it.
	WeChatUpdatedAt time.Time `gorm:"not null;index:idx_materials_kind_updated,priority:2"`
	// SyncedAt is when a sync (or the upload) last saw it on WeChat.
	SyncedAt  time.Time `gorm:"not null"`
	CreatedBy uint64    `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Material kinds.
const (
	MaterialImage = "image"
	MaterialVoice = "voice"
	MaterialVideo = "video"
	MaterialThumb = "thumb"
	MaterialNews  = "news"
)

// MaterialKinds lists the kinds in the order the library shows them.
var MaterialKinds = []string{MaterialImage, MaterialVoice, MaterialVideo, MaterialThumb, MaterialNews}

// UploadLimit is what one kind of upload accepts (wechat-platform.md §10).
type UploadLimit struct {
	MaxBytes int64
	// Exts are the file extensions taken, lower case without the dot.
	Exts []string
	// Sniffed are the content types the bytes must look like
	// (http.DetectContentType); empty for formats it does not know (amr).
	Sniffed []string
	// Quota is the most permanent materials of the kind an account holds.
	Quota int
}

// UploadLimits are the platform's limits per uploadable kind.
var UploadLimits = map[string]UploadLimit{
	MaterialImage: {10 << 20, []string{"bmp", "png", "jpeg", "jpg", "gif"}, []string{"image/bmp", "image/png", "image/jpeg", "image/gif"}, 100000},
	MaterialVoice: {2 << 20, []string{"amr", "mp3"}, nil, 1000},
	MaterialVideo: {10 << 20, []string{"mp4"}, []string{"video/mp4"}, 1000},
	MaterialThumb: {64 << 10, []string{"jpg", "jpeg"}, []string{"image/jpeg"}, 1000},
}

// UploadCheck is the outcome of CheckUpload: the file's extension and
// content type when it passes.
type UploadCheck struct {
	Ext         string
	ContentType string
}

// CheckUpload checks a file against its kind's limits before anything is
// sent to WeChat: an EINVALID error says what is wrong and what to do.
// title is a video's (required there).
func CheckUpload(kind, filename string, data []byte, title string) (UploadCheck, error) {
	lim, ok := UploadLimits[kind]
	if !ok {
		return UploadCheck{}, Errorf(EINVALID, "unknown material kind %q (want image, voice, video or thumb)", kind)
	}
	if len(data) == 0 {
		return UploadCheck{}, Errorf(EINVALID, "choose a file to upload")
	}
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(filename)), ".")
	okExt := false
	for _, e := range lim.Exts {
		okExt = okExt || e == ext
	}
	if !okExt {
		return UploadCheck{}, Errorf(EINVALID, "%s must be a %s file; %q is not", aKind[kind], strings.Join(lim.Exts, "/"), filename)
	}
	if int64(len(data)) > lim.MaxBytes {
		return UploadCheck{}, Errorf(EINVALID, "%s may be at most %s; %q is %s", aKind[kind], FormatBytes(lim.MaxBytes), filename, FormatBytes(int64(len(data))))
	}
	ct := http.DetectContentType(data)
	if len(lim.Sniffed) > 0 {
		match := false
		for _, s := range lim.Sniffed {
			match = match || strings.HasPrefix(ct, s)
		}
		if !match {
			return UploadCheck{}, Errorf(EINVALID, "%q is not really a %s file (its content is %s)", filename, strings.Join(lim.Exts, "/"), ct)
		}
	} else {
		ct = map[string]string{"amr": "audio/amr", "mp3": "audio/mpeg"}[ext]
	}
	if kind == MaterialVideo {
		if n := len([]rune(strings.TrimSpace(title))); n == 0 || n > 64 {
			return UploadCheck{}, Errorf(EINVALID, "a video needs a title of 1-64 characters")
		}
	}
	return UploadCheck{Ext: ext, ContentType: ct}, nil
}

// aKind names a kind with its article, for messages.
var aKind = map[string]string{MaterialImage: "an image", MaterialVoice: "a voice file", MaterialVideo: "a video", MaterialThumb: "a thumb"}

// FormatBytes writes n as 10 MB, 64 KB or 512 B.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// CreateMaterial records a material WeChat has just accepted.
func (s *Store) CreateMaterial(ctx context.Context, m *Material) error {
	if m.MediaID == "" || UploadLimits[m.Kind].MaxBytes == 0 && m.Kind != MaterialNews {
		return Errorf(EINVALID, "a material needs WeChat's media_id and a kind")
	}
	return translate("create material", s.db.WithContext(ctx).Create(m).Error)
}

// Material returns one cached material by its id.
func (s *Store) Material(ctx context.Context, id uint64) (*Material, error) {
	var m Material
	err := s.db.WithContext(ctx).Take(&m, id).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "material %d: not found", id)
	}
	return &m, translate("material", err)
}

// MaterialByMediaID returns one cached material by WeChat's media_id.
func (s *Store) MaterialByMediaID(ctx context.Context, mediaID string) (*Material, error) {
	var m Material
	err := s.db.WithContext(ctx).Where("media_id = ?", mediaID).Take(&m).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "material %s: not found", mediaID)
	}
	return &m, translate("material", err)
}

// MaterialPage is one page of the library.
type MaterialPage struct {
	Items []Material
	Total int64
}

// Materials lists the cached materials of kind, newest first.
func (s *Store) Materials(ctx context.Context, kind string, offset, limit int) (MaterialPage, error) {
	var p MaterialPage
	q := s.db.WithContext(ctx).Model(&Material{}).Where("kind = ?", kind)
	if err := q.Count(&p.Total).Error; err != nil {
		return p, translate("count materials", err)
	}
	err := q.Order("we_chat_updated_at DESC, id DESC").Offset(offset).Limit(limit).Find(&p.Items).Error
	return p, translate("list materials", err)
}

// MaterialCounts counts the cached materials per kind (every kind present).
func (s *Store) MaterialCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Kind string
		N    int64
	}
	err := s.db.WithContext(ctx).Model(&Material{}).Select("kind, COUNT(*) AS n").Group("kind").Scan(&rows).Error
	out := make(map[string]int64, len(MaterialKinds))
	for _, k := range MaterialKinds {
		out[k] = 0
	}
	for _, r := range rows {
		out[r.Kind] = r.N
	}
	return out, translate("count materials", err)
}

// DeleteMaterial removes a cached material (after WeChat deleted it).
func (s *Store) DeleteMaterial(ctx context.Context, id uint64) error {
	res := s.db.WithContext(ctx).Delete(&Material{}, id)
	if res.Error != nil {
		return translate("delete material", res.Error)
	}
	if res.RowsAffected == 0 {
		return Errorf(ENOTFOUND, "material %d: not found", id)
	}
	return nil
}

// UpsertSyncedMaterials records what a sync page saw, keyed by media_id:
// new ones are inserted, known ones get WeChat's name, URL and times (the
// file key and uploader stay). It returns the rows as stored.
func (s *Store) UpsertSyncedMaterials(ctx context.Context, ms []Material, now time.Time) ([]Material, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	ids := make([]string, len(ms))
	for i := range ms {
		ms[i].SyncedAt = now
		ids[i] = ms[i].MediaID
	}
	var out []Material
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "media_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "title", "description", "url", "thumb_media_id", "we_chat_updated_at", "synced_at", "updated_at"}),
		}).Create(&ms).Error
		if err != nil {
			return err
		}
		return tx.Where("media_id IN ?", ids).Find(&out).Error
	})
	return out, translate("save synced materials", err)
}

// SetMaterialFile records where a material's file is kept.
func (s *Store) SetMaterialFile(ctx context.Context, id uint64, key, contentType string, size int64) error {
	err := s.db.WithContext(ctx).Model(&Material{}).Where("id = ?", id).
		Updates(map[string]any{"file_key": key, "content_type": contentType, "size": size}).Error
	return translate("set material file", err)
}

// StaleMaterials returns the synced kinds' rows a completed sync did not
// see (SyncedAt before it started): WeChat no longer has them. Thumbs are
// never listed by batchget_material, so they are not judged.
func (s *Store) StaleMaterials(ctx context.Context, startedAt time.Time) ([]Material, error) {
	var out []Material
	err := s.db.WithContext(ctx).Where("kind <> ? AND synced_at < ?", MaterialThumb, startedAt).Find(&out).Error
	return out, translate("stale materials", err)
}

// MaterialSync is the progress of a library sync, kept in the database so
// that it resumes after a restart and every process sees it.
type MaterialSync struct {
	Running bool `json:"running"`
	// Kind and Offset: the next page to fetch.
	Kind       string    `json:"kind"`
	Offset     int       `json:"offset"`
	Done       int       `json:"done"`
	Total      int       `json:"total"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitempty"`
	Error      string    `json:"error,omitempty"`
}

const materialSyncKey = "material_sync"

// MaterialSyncState returns the library sync's progress.
func (s *Store) MaterialSyncState(ctx context.Context) (MaterialSync, error) {
	var st MaterialSync
	_, err := s.getSetting(ctx, materialSyncKey, &st)
	return st, err
}

// SaveMaterialSync stores the library sync's progress.
func (s *Store) SaveMaterialSync(ctx context.Context, st MaterialSync) error {
	return s.putSetting(ctx, materialSyncKey, st)
}

// StartMaterialSync asks for a library sync, refusing (ECONFLICT) while
// one runs; of requests made at once, in one process or several, exactly
// one starts it (a conditional UPDATE, as StartSync).
func (s *Store) StartMaterialSync(ctx context.Context, now time.Time) error {
	running, err := json.Marshal(MaterialSync{Running: true, Kind: MaterialImage, StartedAt: now})
	if err != nil {
		return err
	}
	idle, _ := json.Marshal(MaterialSync{})
	db := s.db.WithContext(ctx)
	err = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&setting{Key: materialSyncKey, Value: string(idle), UpdatedAt: s.now()}).Error
	if err != nil {
		return translate("start material sync", err)
	}
	res := db.Model(&setting{}).Where("name = ? AND value NOT LIKE ?", materialSyncKey, `{"running":true%`).
		Updates(map[string]any{"value": string(running), "updated_at": s.now()})
	if res.Error != nil {
		return translate("start material sync", res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	return Errorf(ECONFLICT, "a library sync is already running")
}
