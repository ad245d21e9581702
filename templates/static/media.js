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

// The reply editor's picker: a click on a library image fills the
// media_id box and shows the image; a typed id shows its image when the
// library has it, else says saving will be refused.
(function () {
  function init() {
    document.querySelectorAll('.media-pick').forEach(function (box) {
      var input = document.querySelector('input[name="' + box.getAttribute('data-input') + '"]');
      var preview = box.querySelector('.pick-preview');
      if (!input) return;
      function show() {
        var id = input.value.trim(), hit = null;
        box.querySelectorAll('.pick').forEach(function (b) {
          var on = b.getAttribute('data-media-id') === id;
          b.classList.toggle('on', on);
          if (on) hit = b;
        });
        preview.textContent = '';
        if (hit) {
          var img = document.createElement('img');
          img.src = hit.getAttribute('data-src'); img.alt = '';
          var name = document.createElement('span');
          name.className = 'pick-name'; name.textContent = hit.getAttribute('data-name');
          preview.appendChild(img); preview.appendChild(name);
        } else if (id) {
          var warn = document.createElement('span');
          warn.className = 'pick-unknown'; warn.textContent = box.getAttribute('data-unknown');
          preview.appendChild(warn);
        }
      }
      box.querySelectorAll('.pick').forEach(function (b) {
        b.addEventListener('click', function () {
          input.value = b.getAttribute('data-media-id');
          box.querySelector('details').open = false;
          show();
        });
      });
      input.addEventListener('input', show);
      show();
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
