package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// TestNewsDraftInBrowser: in Chromium (zh-CN) a marketer writes a
// two-article 图文 draft, picking each cover from the library, previews it
// to a simulated fan (the card with cover, title and digest appears in the
// simulator phone), publishes it (asked first) and sees the result that
// PUBLISHJOBFINISH brought, with the articles' links. At 1280 and 390 px.
func TestNewsDraftInBrowser(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	ctx0 := context.Background()
	pic, err := c.a.library.Upload(ctx0, roles.Upload{Kind: models.MaterialImage, FileName: "春季海报.png", Data: posterPNG(t),
		By: c.staff[models.RoleMarketer].ID})
	if err != nil {
		t.Fatal(err)
	}
	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))
	ctx := zhBrowser(t, br, root, base, models.RoleMarketer)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	pick := func(i int) {
		box := `.media-pick[data-input="a` + strconv.Itoa(i) + `.cover"]`
		br.Do(ctx, "open the picker "+strconv.Itoa(i), chromedp.Click(css(box+" summary")), chromedp.WaitVisible(css(box+" .pick")))
		br.Do(ctx, "pick the cover "+strconv.Itoa(i), chromedp.Click(css(box+` .pick[data-media-id="`+pic.MediaID+`"]`)),
			chromedp.WaitVisible(css(box+" .pick-preview img")))
	}
	for _, width := range []int64{1280, 390} {
		w := strconv.FormatInt(width, 10)
		fan := "o_news_fan_" + w
		br.Do(ctx, w+": the fan follows", chromedp.EmulateViewport(width, 900), chromedp.Navigate(base+"/console/simulator?openid="+fan),
			chromedp.WaitVisible(css("#follow")), chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))

		title := "春季上新（" + w + "）"
		br.Do(ctx, w+": new draft", chromedp.Navigate(base+"/console/news/new"), chromedp.WaitVisible(css(`input[name="a0.title"]`)),
			chromedp.SendKeys(css(`input[name="a0.title"]`), title), chromedp.SendKeys(css(`input[name="a0.digest"]`), "三款新品，本周八折"),
			chromedp.SetValue(css(`textarea[name="a0.body"]`), "<p>春季新品到店。</p><script>alert(1)</script>"))
		pick(0)
		br.Do(ctx, w+": add an article", chromedp.Click(css("#news-add")), chromedp.WaitVisible(css(`input[name="a1.title"]`)),
			chromedp.SendKeys(css(`input[name="a1.title"]`), "门店活动"), chromedp.SetValue(css(`textarea[name="a1.body"]`), "<p>周末到店有礼。</p>"))
		pick(1)
		br.Until(ctx, w+": no sideways scrolling", `document.documentElement.scrollWidth <= window.innerWidth`)
		br.Shot(ctx, "news-editor-"+w)
		br.Do(ctx, w+": save", chromedp.Click(css("#news-save")), chromedp.WaitVisible(css(".notice.ok")))
		if got := text(".notice.ok"); !strings.Contains(got, "已保存") {
			t.Fatalf("%s px: %q", w, got)
		}

		br.Do(ctx, w+": preview", chromedp.SetValue(css("#news-preview-openid"), fan), chromedp.Click(css("#news-preview")), chromedp.Sleep(time.Second))
		br.Until(ctx, w+": the preview went", `(document.querySelector('.notice.ok') || {}).textContent === '预览已发送，请在粉丝的微信里查看。'`)
		br.Do(ctx, w+": the fan's phone", chromedp.Navigate(base+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#inbox")))
		br.Until(ctx, w+": the card shows", `[...document.querySelectorAll('#inbox .news-card .news-title')].some(e => e.textContent === `+strconv.Quote(title)+`)`)
		if got := text("#inbox .news-card .news-desc"); got != "三款新品，本周八折" {
			t.Errorf("%s px: digest %q", w, got)
		}
		br.Shot(ctx, "news-preview-phone-"+w)

		list, err := c.a.store.NewsDrafts(ctx0, false, 10)
		if err != nil || len(list) == 0 {
			t.Fatalf("drafts: %v %v", list, err)
		}
		id := strconv.FormatUint(list[0].ID, 10)
		br.Do(ctx, w+": open the draft", chromedp.Navigate(base+"/console/news/"+id), chromedp.WaitVisible(css("#news-publish")))
		q, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#news-publish').form.getAttribute('data-confirm')`))
		if !strings.Contains(q, "确定发布「"+title+"」吗？") {
			t.Errorf("%s px: publishing asks %q", w, q)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](stubConfirm(true))); err != nil {
			t.Fatal(err)
		}
		br.Do(ctx, w+": publish", chromedp.Click(css("#news-publish")), chromedp.Sleep(time.Second))
		br.Until(ctx, w+": publishing", `!!document.querySelector('#news-publishing, #news-urls')`)
		var draft *models.NewsDraft
		if draft, err = c.a.store.NewsDraft(ctx0, list[0].ID); err != nil || draft.PublishID == 0 {
			t.Fatalf("%s px: the publish was not asked first or not sent: %+v %v", w, draft, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			d, err := c.a.store.NewsDraft(ctx0, list[0].ID)
			if err == nil && d.PublishState == models.PublishPublished {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s px: no PUBLISHJOBFINISH recorded: %+v %v", w, d, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		br.Do(ctx, w+": the result", chromedp.Navigate(base+"/console/news/"+id), chromedp.WaitVisible(css("#news-urls")))
		if got := text("#news-state"); got != "已发布" {
			t.Errorf("%s px: state %q", w, got)
		}
		if got := text("#news-urls"); !strings.Contains(got, "http://mp.weixin.qq.com/s/") {
			t.Errorf("%s px: links %q", w, got)
		}
		br.Until(ctx, w+": no sideways scrolling", `document.documentElement.scrollWidth <= window.innerWidth`)
		br.Shot(ctx, "news-published-"+w)
		br.Do(ctx, w+": the published list", chromedp.Navigate(base+"/console/news?tab=published"), chromedp.WaitVisible(css("#news-list")))
		br.Shot(ctx, "news-list-published-"+w)

		// A 图文 broadcast picks the draft instead of typing its media_id.
		br.Do(ctx, w+": compose a broadcast", chromedp.Navigate(base+"/console/broadcasts/new"), chromedp.WaitVisible(css("#bc-kind")))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const k = document.querySelector('#bc-kind'); k.value = 'mpnews'; k.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		br.Do(ctx, w+": open the 图文 picker", chromedp.Click(css(".news-pick summary")), chromedp.WaitVisible(css(`.news-pick .pick[data-media-id="`+draft.MediaID+`"]`)))
		br.Do(ctx, w+": pick the draft", chromedp.Click(css(`.news-pick .pick[data-media-id="`+draft.MediaID+`"]`)), chromedp.WaitVisible(css(".news-pick .pick-preview img")))
		if got, _ := chromedp.Run(ctx, chromedp.Value(css("#bc-media"))); got != draft.MediaID {
			t.Errorf("%s px: media_id %q, want %q", w, got, draft.MediaID)
		}
		if got := text(".news-pick .pick-preview .pick-name"); got != title+" · 三款新品，本周八折" {
			t.Errorf("%s px: card %q", w, got)
		}
		br.Until(ctx, w+": no sideways scrolling", `document.documentElement.scrollWidth <= window.innerWidth`)
		br.Shot(ctx, "news-broadcast-pick-"+w)
	}
}
