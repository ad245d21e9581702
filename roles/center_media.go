package roles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/fivec/fivec/media"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// MaterialAPI is the part of WeChat the media library uses (wechat.Client;
// tests use the fake WeChat API through it too).
type MaterialAPI interface {
	AddMaterial(ctx context.Context, up wechat.MaterialUpload) (mediaID, imageURL string, err error)
	BatchGetMaterial(ctx context.Context, kind string, offset, count int) (wechat.MaterialPage, error)
	CountMaterials(ctx context.Context) (wechat.MaterialCount, error)
	GetMaterial(ctx context.Context, mediaID string) ([]byte, string, error)
	DeleteMaterial(ctx context.Context, mediaID string) error
}

// Library is the Center's media library (素材库): the account's permanent
// materials, uploaded and deleted on WeChat and cached in the database,
// with the files in the media store. Every change happens on WeChat first,
// so the cache never holds a material WeChat does not have, and a failure
// half-way is undone: no row without a media_id, no file without a row.
type Library struct {
	Store *models.Store
	Files *media.Store
	WX    MaterialAPI
	Log   *slog.Logger
	Now   func() time.Time
}

// Upload is one file a staff member uploads.
type Upload struct {
	Kind     string
	FileName string
	Data     []byte
	// Title and Description of a video.
	Title, Description string
	By                 uint64
}

// Upload checks the file against its kind's limits and the account's
// quota, keeps the file, adds it on WeChat and records it. A refusal at
// any step leaves nothing behind.
func (l *Library) Upload(ctx context.Context, up Upload) (*models.Material, error) {
	chk, err := models.CheckUpload(up.Kind, up.FileName, up.Data, up.Title)
	if err != nil {
		return nil, err
	}
	counts, err := l.Store.MaterialCounts(ctx)
	if err != nil {
		return nil, err
	}
	if q := models.UploadLimits[up.Kind].Quota; counts[up.Kind] >= int64(q) {
		return nil, models.Errorf(models.EINVALID, "the account holds the most %s materials WeChat allows (%d); delete some first", up.Kind, q)
	}
	now := l.Now().UTC()
	key := media.NewKey(up.Kind, chk.Ext, now)
	if err := l.Files.Put(ctx, key, up.Data, chk.ContentType); err != nil {
		return nil, fmt.Errorf("upload %s: %w", up.Kind, err)
	}
	name := safeName(up.FileName)
	mediaID, url, err := l.WX.AddMaterial(ctx, wechat.MaterialUpload{Kind: up.Kind, FileName: name, Data: up.Data,
		Title: strings.TrimSpace(up.Title), Introduction: strings.TrimSpace(up.Description)})
	if err != nil {
		l.dropFile(key)
		if wechat.ErrCode(err) == 45009 {
			return nil, models.Errorf(models.EUPSTREAM, "WeChat's quota for %s materials is used up (errcode 45009); delete unused ones or try again tomorrow", up.Kind)
		}
		return nil, wechatRefused(err)
	}
	m := &models.Material{MediaID: mediaID, Kind: up.Kind, Name: name, Title: strings.TrimSpace(up.Title),
		Description: strings.TrimSpace(up.Description), URL: url, FileKey: key, ContentType: chk.ContentType,
		Size: int64(len(up.Data)), WeChatUpdatedAt: now, SyncedAt: now, CreatedBy: up.By}
	if err := l.Store.CreateMaterial(ctx, m); err != nil {
		// WeChat has it but fivec could not record it: take it back, so
		// that nothing is left that the library does not show.
		if derr := l.WX.DeleteMaterial(context.WithoutCancel(ctx), mediaID); derr != nil {
			l.Log.Error("media library: undo add_material", "media_id", mediaID, "err", derr)
		}
		l.dropFile(key)
		return nil, err
	}
	return m, nil
}

// Delete removes a material on WeChat, then from the cache and the store.
// A material WeChat no longer has (40007) is removed all the same.
func (l *Library) Delete(ctx context.Context, id uint64) (*models.Material, error) {
	m, err := l.Store.Material(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := l.WX.DeleteMaterial(ctx, m.MediaID); err != nil && wechat.ErrCode(err) != 40007 {
		return nil, wechatRefused(err)
	}
	if err := l.Store.DeleteMaterial(ctx, id); err != nil {
		return nil, err
	}
	if m.FileKey != "" {
		l.dropFile(m.FileKey)
	}
	return m, nil
}

// File opens a material's kept file (its thumbnail in the library).
func (l *Library) File(ctx context.Context, id uint64) (*models.Material, *media.File, error) {
	m, err := l.Store.Material(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if m.FileKey == "" {
		return m, nil, models.Errorf(models.ENOTFOUND, "material %d: no file kept: not found", id)
	}
	f, err := l.Files.Open(ctx, m.FileKey)
	if errors.Is(err, media.ErrNotFound) {
		return m, nil, models.Errorf(models.ENOTFOUND, "material %d: file missing: not found", id)
	}
	return m, f, err
}

// StartSync asks for a library sync (the console, the API, the daily
// job); the material-sync job runs it within seconds.
func (l *Library) StartSync(ctx context.Context) error {
	return l.Store.StartMaterialSync(ctx, l.Now().UTC())
}

// syncKinds are the kinds batchget_material lists, in sync order.
var syncKinds = []string{models.MaterialImage, models.MaterialVoice, models.MaterialVideo, models.MaterialNews}

// SyncStep continues a requested sync by up to pages pages of 20, saving
// the cursor after each: a restart resumes, and a repeated page is
// harmless. When the last kind is done, rows WeChat no longer lists are
// removed (with their files). No-op when no sync was asked for.
func (l *Library) SyncStep(ctx context.Context, pages int) error {
	st, err := l.Store.MaterialSyncState(ctx)
	if err != nil || !st.Running {
		return err
	}
	fail := func(err error) error {
		st.Running, st.Error, st.FinishedAt = false, refusalText(err), l.Now().UTC()
		_ = l.Store.SaveMaterialSync(ctx, st)
		return fmt.Errorf("material sync: %w", err)
	}
	if st.Offset == 0 && st.Kind == models.MaterialImage && st.Done == 0 {
		n, err := l.WX.CountMaterials(ctx)
		if err != nil {
			return fail(err)
		}
		st.Total = n.Image + n.Voice + n.Video + n.News
	}
	for i := 0; i < pages && st.Running; i++ {
		page, err := l.WX.BatchGetMaterial(ctx, st.Kind, st.Offset, 20)
		if err != nil {
			return fail(err)
		}
		if err := l.keepPage(ctx, st.Kind, page.Items); err != nil {
			return fail(err)
		}
		st.Offset += len(page.Items)
		st.Done += len(page.Items)
		if len(page.Items) == 0 || st.Offset >= page.Total {
			next := nextKind(st.Kind)
			if next == "" {
				if err := l.dropStale(ctx, st.StartedAt); err != nil {
					return fail(err)
				}
				st.Running, st.FinishedAt, st.Error = false, l.Now().UTC(), ""
			}
			st.Kind, st.Offset = next, 0
		}
		if err := l.Store.SaveMaterialSync(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

func nextKind(k string) string {
	for i, s := range syncKinds {
		if s == k && i+1 < len(syncKinds) {
			return syncKinds[i+1]
		}
	}
	return ""
}

// keepPage records one page and fetches the images it did not have yet,
// so that the library shows thumbnails (voice and video stay on WeChat).
func (l *Library) keepPage(ctx context.Context, kind string, items []wechat.MaterialItem) error {
	rows := make([]models.Material, 0, len(items))
	for _, it := range items {
		m := models.Material{MediaID: it.MediaID, Kind: kind, Name: it.Name, URL: it.URL, WeChatUpdatedAt: it.UpdateTime}
		if len(it.Articles) > 0 {
			titles := make([]string, len(it.Articles))
			for i, a := range it.Articles {
				titles[i] = a.Title
			}
			m.Name, m.ThumbMediaID = it.Articles[0].Title, it.Articles[0].ThumbMediaID
			m.Title, m.URL = truncate(strings.Join(titles, " / "), 255), it.Articles[0].URL
		}
		rows = append(rows, m)
	}
	stored, err := l.Store.UpsertSyncedMaterials(ctx, rows, l.Now().UTC())
	if err != nil {
		return err
	}
	for _, m := range stored {
		if m.Kind != models.MaterialImage || m.FileKey != "" {
			continue
		}
		data, ctype, err := l.WX.GetMaterial(ctx, m.MediaID)
		if err != nil {
			l.Log.Warn("media library: fetch image", "media_id", m.MediaID, "err", err)
			continue // listed without a thumbnail; the next sync tries again
		}
		chk, err := models.CheckUpload(models.MaterialImage, "x."+extFor(ctype, m.Name), data, "")
		if err != nil {
			l.Log.Warn("media library: image from WeChat not kept", "media_id", m.MediaID, "err", err)
			continue
		}
		key := media.NewKey(m.Kind, chk.Ext, l.Now())
		if err := l.Files.Put(ctx, key, data, chk.ContentType); err != nil {
			return err
		}
		if err := l.Store.SetMaterialFile(ctx, m.ID, key, chk.ContentType, int64(len(data))); err != nil {
			l.dropFile(key)
			return err
		}
	}
	return nil
}

// dropStale removes rows a completed sync did not see.
func (l *Library) dropStale(ctx context.Context, startedAt time.Time) error {
	stale, err := l.Store.StaleMaterials(ctx, startedAt)
	if err != nil {
		return err
	}
	for _, m := range stale {
		if err := l.Store.DeleteMaterial(ctx, m.ID); err != nil && models.ErrorCode(err) != models.ENOTFOUND {
			return err
		}
		if m.FileKey != "" {
			l.dropFile(m.FileKey)
		}
	}
	return nil
}

// dropFile deletes a kept file, logging a failure (a leftover file is
// harmless; the row that pointed at it is gone).
func (l *Library) dropFile(key string) {
	if err := l.Files.Delete(context.Background(), key); err != nil {
		l.Log.Error("media library: delete file", "key", key, "err", err)
	}
}

// wechatRefused turns WeChat's refusal into a known error naming the
// errcode (the console describes it in the reader's language).
func wechatRefused(err error) error {
	if code := wechat.ErrCode(err); code != 0 {
		return models.Errorf(models.EUPSTREAM, "WeChat refused: errcode %d", code)
	}
	return fmt.Errorf("wechat: %w", err)
}

// refusalText is what the sync state says went wrong.
func refusalText(err error) string {
	if code := wechat.ErrCode(err); code != 0 {
		return fmt.Sprintf("WeChat refused: errcode %d", code)
	}
	return "WeChat could not be reached"
}

// safeName keeps a file name's last element, printable and short.
func safeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	return truncate(name, 200)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// extFor guesses a downloaded image's extension from its type or name.
func extFor(ctype, name string) string {
	switch {
	case strings.Contains(ctype, "png"):
		return "png"
	case strings.Contains(ctype, "gif"):
		return "gif"
	case strings.Contains(ctype, "bmp"):
		return "bmp"
	case strings.Contains(ctype, "jpeg"):
		return "jpg"
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return strings.ToLower(name[i+1:])
	}
	return "jpg"
}
