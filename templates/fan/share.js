// The share card of a tracked page (fan/share.html): wx.config with the
// signature the server made for this URL, then the card carries the
// opener's own link. The callbacks only mean the card was set, never that
// the fan shared (wechat-platform.md §12): a share is known when a friend
// opens the link.
(function () {
  var b = document.body.dataset;
  if (!window.wx || !b.signature) { return; }
  wx.config({
    debug: false, appId: b.appid, timestamp: Number(b.timestamp), nonceStr: b.nonce,
    signature: b.signature, jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData']
  });
  wx.ready(function () {
    var card = { title: b.title, desc: b.title, link: b.link, imgUrl: '' };
    wx.updateAppMessageShareData(card);
    wx.updateTimelineShareData(card);
  });
})();
