// The simulator's "share to another fan" (console/simulator.html): the
// friend's phone opens the address the page's share card carries, read from
// the page in the phone (same site), as a friend tapping the shared card.
(function () {
  var form = document.getElementById('sim-share');
  if (!form) { return; }
  form.addEventListener('submit', function (ev) {
    var frame = document.getElementById('phone-web-frame');
    var doc = frame && frame.contentDocument;
    var body = doc && doc.body;
    var link = body && body.dataset && body.dataset.link;
    if (!link) { ev.preventDefault(); return; }
    var u = new URL(link, location.href);
    document.getElementById('sim-share-page').value = u.pathname + u.search;
  });
})();
