// The 图文 editor: "Insert picture" uploads a jpg/png (≤ 1 MB) through
// media/uploadimg and puts an <img> with WeChat's URL at the cursor of the
// article's body. The server checks again; its error is shown as sent.
(function () {
  function init() {
    var form = document.getElementById('news-form');
    if (!form) return;
    var csrf = form.querySelector('input[name="csrf_token"]').value;
    form.querySelectorAll('.news-img').forEach(function (input) {
      var msg = input.closest('.news-img-row').querySelector('.news-img-msg');
      input.addEventListener('change', function () {
        var f = input.files[0];
        if (!f) return;
        msg.textContent = '';
        if (!/\.(jpe?g|png)$/i.test(f.name)) { msg.textContent = form.getAttribute('data-bad-type'); input.value = ''; return; }
        if (f.size > 1048576) { msg.textContent = form.getAttribute('data-too-big'); input.value = ''; return; }
        msg.className = 'small muted news-img-msg';
        msg.textContent = form.getAttribute('data-uploading');
        var body = new FormData();
        body.append('file', f);
        fetch(form.getAttribute('data-upload'), { method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' } })
          .then(function (r) { return r.json(); })
          .then(function (j) {
            input.value = '';
            if (!j.url) { msg.className = 'small err-text news-img-msg'; msg.textContent = j.error || ''; return; }
            msg.textContent = '';
            var ta = document.getElementById(input.getAttribute('data-target'));
            var tag = '<p><img src="' + j.url + '" alt=""></p>';
            var at = ta.selectionStart != null ? ta.selectionEnd : ta.value.length;
            ta.value = ta.value.slice(0, at) + tag + ta.value.slice(at);
            ta.dispatchEvent(new Event('input'));
          })
          .catch(function () { msg.className = 'small err-text news-img-msg'; msg.textContent = form.getAttribute('data-bad-type'); });
      });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
