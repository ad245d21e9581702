// The broadcast compose form shows only the fields the chosen message type
// and audience need. Without JavaScript every field stays visible (the
// server ignores the ones that do not apply), so the form always works.
// Fields carry data-kinds="text image…" or data-audiences="tag…".
(function () {
  'use strict';

  function apply(form) {
    var kind = form.querySelector('#bc-kind'), aud = form.querySelector('#bc-audience');
    var show = function (attr, value) {
      form.querySelectorAll('[' + attr + ']').forEach(function (el) {
        el.hidden = value !== null && el.getAttribute(attr).split(' ').indexOf(value) < 0;
      });
    };
    show('data-kinds', kind ? kind.value : null);
    show('data-audiences', aud ? aud.value : null);
  }

  // A mass send is one message WeChat copies to every fan: it cannot carry
  // {{.Name}} and the like, and the server refuses to save it. Warn as soon
  // as a variable is typed for such a channel; for a direct send, say the
  // variables are filled in per fan. "Automatic" mass-sends a text to
  // everyone, a tag, or (service account) an openid list.
  function massChannel(form) {
    var ch = form.querySelector('#bc-channel'), kind = form.querySelector('#bc-kind');
    var aud = form.querySelector('#bc-audience');
    if (!ch || !kind || kind.value === 'template') return false;
    if (ch.value) return ch.value === 'mass';
    var a = aud ? aud.value : '';
    return a === 'all' || a === 'tag' || (a === 'openids' && form.dataset.account !== 'subscription');
  }

  function warnVars(form, touched) {
    var warn = form.querySelector('#bc-vars-warn'), hint = form.querySelector('#bc-vars-hint');
    var text = form.querySelector('#bc-text'), kind = form.querySelector('#bc-kind');
    if (!warn || !text) return;
    var vars = kind && kind.value === 'text' && text.value.indexOf('{{') >= 0;
    var mass = massChannel(form);
    // Until something is typed, a warning the server gave (a stored
    // broadcast) stays as it is.
    if (!touched && !warn.hidden) return;
    warn.textContent = warn.dataset.mass;
    warn.hidden = !(vars && mass);
    if (hint) hint.hidden = !(vars && !mass);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('bc-form');
    if (!form) return;
    form.classList.add('progressive');
    apply(form);
    warnVars(form, false);
    form.addEventListener('input', function () { warnVars(form, true); });
    form.addEventListener('change', function (e) {
      if (e.target.id === 'bc-kind' || e.target.id === 'bc-audience') apply(form);
      // Choosing a file of openids means the audience is that list.
      if (e.target.id === 'bc-openid-file' && e.target.files.length) {
        form.querySelector('#bc-audience').value = 'openids';
        apply(form);
      }
      warnVars(form, true);
    });
  });
})();
