package models_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// Small files that http.DetectContentType recognises.
var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...)
	jpgBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{1}, 64)...)
)

func TestCheckUpload(t *testing.T) {
	for _, c := range []struct {
		kind, name string
		data       []byte
		title      string
		err        string
		ct         string
	}{
		{"image", "cat.png", pngBytes, "", "", "image/png"},
		{"image", "cat.JPG", jpgBytes, "", "", "image/jpeg"},
		{"image", "cat.webp", pngBytes, "", `an image must be a bmp/png/jpeg/jpg/gif file; "cat.webp" is not`, ""},
		{"image", "cat.png", append(pngBytes, make([]byte, 10<<20)...), "", `an image may be at most 10 MB; "cat.png" is 10.0 MB`, ""},
		{"image", "notes.png", []byte("just some text"), "", `"notes.png" is not really a bmp/png/jpeg/jpg/gif file`, ""},
		{"thumb", "t.jpg", append(jpgBytes, make([]byte, 64<<10)...), "", `a thumb may be at most 64 KB; "t.jpg" is 64 KB`, ""},
		{"thumb", "t.png", pngBytes, "", "a thumb must be a jpg/jpeg file", ""},
		{"voice", "hi.amr", []byte("#!AMR\n..."), "", "", "audio/amr"},
		{"voice", "hi.wav", []byte("RIFF"), "", "a voice file must be a amr/mp3 file", ""},
		{"voice", "long.mp3", make([]byte, 2<<20+1), "", "a voice file may be at most 2 MB", ""},
		{"video", "clip.mp4", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), "", "a video needs a title", ""},
		{"video", "clip.mp4", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), "开箱", "", "video/mp4"},
		{"image", "empty.png", nil, "", "choose a file", ""},
		{"news", "x.png", pngBytes, "", "unknown material kind", ""},
	} {
		got, err := models.CheckUpload(c.kind, c.name, c.data, c.title)
		if c.err == "" {
			if err != nil || got.ContentType != c.ct {
				t.Errorf("%s %s: %v, type %q, want %q", c.kind, c.name, err, got.ContentType, c.ct)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || models.ErrorCode(err) != models.EINVALID {
			t.Errorf("%s %s: err %v, want %q", c.kind, c.name, err, c.err)
		}
	}
}

func TestMaterialStore(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		up := &models.Material{MediaID: "m-up", Kind: models.MaterialImage, Name: "cat.png", FileKey: "image/2026/12/a.png",
			ContentType: "image/png", Size: 72, WeChatUpdatedAt: t0, SyncedAt: t0, CreatedBy: 1}
		if err := s.CreateMaterial(ctx, up); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMaterial(ctx, &models.Material{Kind: models.MaterialImage}); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("row without media_id: %v", err)
		}
		if err := s.CreateMaterial(ctx, &models.Material{MediaID: "m-up", Kind: models.MaterialImage, WeChatUpdatedAt: t0, SyncedAt: t0}); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("duplicate media_id: %v", err)
		}
		// A sync sees the upload again (renamed on WeChat) and one new image.
		sync := t0.Add(time.Hour)
		got, err := s.UpsertSyncedMaterials(ctx, []models.Material{
			{MediaID: "m-up", Kind: models.MaterialImage, Name: "cat-renamed.png", WeChatUpdatedAt: t0},
			{MediaID: "m-new", Kind: models.MaterialImage, Name: "dog.png", URL: "http://mmbiz/dog", WeChatUpdatedAt: t0.Add(time.Minute)},
		}, sync)
		if err != nil || len(got) != 2 {
			t.Fatalf("upsert: %v %v", got, err)
		}
		m, err := s.MaterialByMediaID(ctx, "m-up")
		if err != nil || m.Name != "cat-renamed.png" || m.FileKey != "image/2026/12/a.png" || m.CreatedBy != 1 || !m.SyncedAt.Equal(sync) {
			t.Errorf("upserted upload: %+v %v", m, err)
		}
		page, err := s.Materials(ctx, models.MaterialImage, 0, 10)
		if err != nil || page.Total != 2 || page.Items[0].MediaID != "m-new" {
			t.Errorf("list newest first: %+v %v", page, err)
		}
		if err := s.CreateMaterial(ctx, &models.Material{MediaID: "m-thumb", Kind: models.MaterialThumb, WeChatUpdatedAt: t0, SyncedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMaterial(ctx, &models.Material{MediaID: "m-voice", Kind: models.MaterialVoice, WeChatUpdatedAt: t0, SyncedAt: t0}); err != nil {
			t.Fatal(err)
		}
		counts, err := s.MaterialCounts(ctx)
		if err != nil || counts["image"] != 2 || counts["thumb"] != 1 || counts["voice"] != 1 || counts["video"] != 0 || counts["news"] != 0 {
			t.Errorf("counts: %v %v", counts, err)
		}
		// After a full sync started at `sync`, the voice was not seen:
		// stale. The thumb is never listed by WeChat, so never stale.
		stale, err := s.StaleMaterials(ctx, sync)
		if err != nil || len(stale) != 1 || stale[0].MediaID != "m-voice" {
			t.Errorf("stale: %+v %v", stale, err)
		}
		if err := s.SetMaterialFile(ctx, got[1].ID, "image/x.png", "image/png", 9); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMaterial(ctx, stale[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMaterial(ctx, stale[0].ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("second delete: %v", err)
		}
		// The sync state: one start wins, the next is refused until idle.
		if err := s.StartMaterialSync(ctx, sync); err != nil {
			t.Fatal(err)
		}
		if err := s.StartMaterialSync(ctx, sync); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("second start: %v", err)
		}
		st, _ := s.MaterialSyncState(ctx)
		if !st.Running || st.Kind != models.MaterialImage {
			t.Errorf("state: %+v", st)
		}
		st.Running = false
		if err := s.SaveMaterialSync(ctx, st); err != nil {
			t.Fatal(err)
		}
		if err := s.StartMaterialSync(ctx, sync); err != nil {
			t.Errorf("start after idle: %v", err)
		}
	})
}
