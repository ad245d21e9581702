// The media library's upload form: shows the video fields for videos and
// checks a file's size and format against WeChat's limits before it is
// sent, in the page's language (the server checks again).
(function () {
  function init() {
    var form = document.getElementById('media-form');
    if (!form) return;
    var kind = document.getElementById('media-kind');
    var file = document.getElementById('media-file');
    var title = document.getElementById('media-title');
    var box = document.getElementById('media-error');
    function opt() { return kind.options[kind.selectedIndex]; }
    function fmt(s, args) { var i = 0; return s.replace(/%s/g, function () { return args[i++]; }); }
    function size(n) {
      if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MB';
      if (n >= 1024) return Math.round(n / 1024) + ' KB';
      return n + ' B';
    }
    function show(msg) { box.textContent = msg; box.hidden = !msg; }
    function problem() {
      var o = opt(), f = file.files && file.files[0];
      if (!f) return form.getAttribute('data-msg-choose');
      var exts = o.getAttribute('data-exts').split(','), dot = f.name.lastIndexOf('.');
      var ext = dot >= 0 ? f.name.slice(dot + 1).toLowerCase() : '';
      if (exts.indexOf(ext) < 0) return fmt(form.getAttribute('data-msg-bad-ext'), [o.getAttribute('data-name'), exts.join('/'), f.name]);
      if (f.size > Number(o.getAttribute('data-max'))) return fmt(form.getAttribute('data-msg-too-big'), [o.getAttribute('data-name'), o.getAttribute('data-max-text'), size(f.size)]);
      if (o.value === 'video' && !title.value.trim()) return form.getAttribute('data-msg-need-title');
      return '';
    }
    function sync() {
      form.classList.toggle('is-video', opt().value === 'video');
      var f = file.files && file.files[0];
      var exts = opt().getAttribute('data-exts').split(',');
      file.setAttribute('accept', exts.map(function (e) { return '.' + e; }).join(','));
      show(f ? problem() : '');
    }
    kind.addEventListener('change', sync);
    file.addEventListener('change', sync);
    form.addEventListener('submit', function (e) {
      var p = problem();
      if (p) { e.preventDefault(); show(p); return; }
      var b = document.getElementById('media-upload');
      b.disabled = true; b.textContent = form.getAttribute('data-msg-uploading');
    });
    sync();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
