package roles_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

var (
	testPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{3}, 200)...)
	testJPG = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{4}, 200)...)
)

// racingAPI adds on WeChat, then lets another writer record the same
// media_id first: the library's own insert then fails after WeChat
// accepted the file, the case that must be undone.
type racingAPI struct {
	roles.MaterialAPI
	store *models.Store
	added string
}

func (r *racingAPI) AddMaterial(ctx context.Context, up wechat.MaterialUpload) (string, string, error) {
	id, url, err := r.MaterialAPI.AddMaterial(ctx, up)
	if err == nil {
		r.added = id
		err = r.store.CreateMaterial(ctx, &models.Material{MediaID: id, Kind: up.Kind, WeChatUpdatedAt: time.Now(), SyncedAt: time.Now()})
	}
	return id, url, err
}

func newLibrary(t *testing.T, s *models.Store, filesURL string) (*roles.Library, *wechat.Client) {
	wx := faketest.Client(platform)
	return &roles.Library{Store: s, Files: mediatest.Open(t, filesURL), WX: wx,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}, wx
}

func TestLibraryUploadDeleteSync(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		for kind, mk := range mediatest.Kinds(t) {
			t.Run(kind, func(t *testing.T) {
				ctx := context.Background()
				lib, wx := newLibrary(t, s, mk(t))
				img, err := lib.Upload(ctx, roles.Upload{Kind: "image", FileName: `C:\fakepath\cat.png`, Data: testPNG, By: 7})
				if err != nil {
					t.Fatal(err)
				}
				if img.Name != "cat.png" || img.FileKey == "" || !strings.HasPrefix(img.URL, "http://mmbiz.qpic.cn/") || img.CreatedBy != 7 {
					t.Errorf("uploaded: %+v", img)
				}
				if got := platform.Materials(wx.Account.AppID, "image"); len(got) != 1 || got[0].MediaID != img.MediaID {
					t.Errorf("WeChat has %+v", got)
				}
				_, f, err := lib.File(ctx, img.ID)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(f)
				f.Close()
				if !bytes.Equal(b, testPNG) || f.ContentType != "image/png" {
					t.Errorf("kept file: %d bytes %s", len(b), f.ContentType)
				}
				// Refused before WeChat: nothing sent, nothing kept.
				calls := len(platform.CallsFor(wx.Account.AppID))
				for _, bad := range []roles.Upload{
					{Kind: "image", FileName: "big.png", Data: append(append([]byte{}, testPNG...), make([]byte, 10<<20)...)},
					{Kind: "thumb", FileName: "t.png", Data: testPNG},
					{Kind: "video", FileName: "v.mp4", Data: []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")},
				} {
					if _, err := lib.Upload(ctx, bad); models.ErrorCode(err) != models.EINVALID {
						t.Errorf("%s %s: %v", bad.Kind, bad.FileName, err)
					}
				}
				if n := len(platform.CallsFor(wx.Account.AppID)); n != calls {
					t.Errorf("refused uploads reached WeChat: %d calls", n-calls)
				}
				// WeChat refuses: no row, no file.
				platform.InjectFault("/cgi-bin/material/add_material", fake.Fault{ErrCode: 45009})
				if _, err := lib.Upload(ctx, roles.Upload{Kind: "thumb", FileName: "t.jpg", Data: testJPG}); models.ErrorCode(err) != models.EUPSTREAM || !strings.Contains(err.Error(), "45009") {
					t.Errorf("quota refusal: %v", err)
				}
				if keys, _ := lib.Files.Keys(ctx, "thumb/"); len(keys) != 0 {
					t.Errorf("file kept after WeChat refused: %v", keys)
				}
				counts, _ := s.MaterialCounts(ctx)
				if counts["thumb"] != 0 {
					t.Errorf("row kept after WeChat refused: %v", counts)
				}
				// The database refuses after WeChat accepted (a duplicate
				// media_id stands in for any failure): WeChat's copy is
				// taken back and the file dropped.
				race := &racingAPI{MaterialAPI: wx, store: s}
				lib.WX = race
				if _, err := lib.Upload(ctx, roles.Upload{Kind: "thumb", FileName: "t.jpg", Data: testJPG}); models.ErrorCode(err) != models.ECONFLICT {
					t.Errorf("insert after WeChat accepted: %v", err)
				}
				lib.WX = wx
				if got := platform.Materials(wx.Account.AppID, "thumb"); len(got) != 0 {
					t.Errorf("WeChat keeps the thumb fivec could not record: %+v", got)
				}
				if keys, _ := lib.Files.Keys(ctx, "thumb/"); len(keys) != 0 {
					t.Errorf("file kept after the insert failed: %v", keys)
				}
				if m, err := s.MaterialByMediaID(ctx, race.added); err == nil {
					s.DeleteMaterial(ctx, m.ID) // the other writer's row
				}

				// Sync: a material made in WeChat's own console appears, with
				// its thumbnail fetched; one deleted there disappears.
				other, _, err := wx.AddMaterial(ctx, wechat.MaterialUpload{Kind: "image", FileName: "dog.jpg", Data: testJPG})
				if err != nil {
					t.Fatal(err)
				}
				news, err := platform.AddNews(wx.Account.AppID, []fake.NewsArticle{{Title: "新品上市", ThumbMediaID: img.MediaID}, {Title: "会员日"}})
				if err != nil {
					t.Fatal(err)
				}
				vid, err := lib.Upload(ctx, roles.Upload{Kind: "video", FileName: "clip.mp4", Title: "开箱", Description: "新品",
					Data: []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")})
				if err != nil {
					t.Fatal(err)
				}
				if err := wx.DeleteMaterial(ctx, vid.MediaID); err != nil { // deleted in WeChat's console
					t.Fatal(err)
				}
				if err := lib.StartSync(ctx); err != nil {
					t.Fatal(err)
				}
				if err := lib.StartSync(ctx); models.ErrorCode(err) != models.ECONFLICT {
					t.Errorf("second start: %v", err)
				}
				for i := 0; i < 10; i++ {
					if err := lib.SyncStep(ctx, 1); err != nil {
						t.Fatal(err)
					}
				}
				st, _ := s.MaterialSyncState(ctx)
				if st.Running || st.Error != "" || st.Total != 3 || st.Done != 3 {
					t.Errorf("sync state: %+v", st)
				}
				dog, err := s.MaterialByMediaID(ctx, other)
				if err != nil || dog.FileKey == "" || dog.ContentType != "image/jpeg" {
					t.Errorf("synced image: %+v %v", dog, err)
				}
				n, err := s.MaterialByMediaID(ctx, news)
				if err != nil || n.Kind != "news" || n.Name != "新品上市" || n.Title != "新品上市 / 会员日" || n.ThumbMediaID != img.MediaID {
					t.Errorf("synced news: %+v %v", n, err)
				}
				if _, err := s.Material(ctx, vid.ID); models.ErrorCode(err) != models.ENOTFOUND {
					t.Errorf("video deleted on WeChat still cached: %v", err)
				}
				if ok, _ := lib.Files.Exists(ctx, vid.FileKey); ok {
					t.Error("its file is still kept")
				}
				// Delete: WeChat, the row and the file go.
				if _, err := lib.Delete(ctx, img.ID); err != nil {
					t.Fatal(err)
				}
				if got := platform.Materials(wx.Account.AppID, "image"); len(got) != 1 {
					t.Errorf("WeChat still has %d images, want 1", len(got))
				}
				if ok, _ := lib.Files.Exists(ctx, img.FileKey); ok {
					t.Error("deleted material's file kept")
				}
				if _, err := lib.Delete(ctx, img.ID); models.ErrorCode(err) != models.ENOTFOUND {
					t.Errorf("second delete: %v", err)
				}
				// Clean up for the next storage kind on the same database.
				for _, k := range models.MaterialKinds {
					p, _ := s.Materials(ctx, k, 0, 100)
					for _, m := range p.Items {
						s.DeleteMaterial(ctx, m.ID)
					}
				}
			})
		}
	})
}
