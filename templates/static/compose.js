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

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('bc-form');
    if (!form) return;
    form.classList.add('progressive');
    apply(form);
    form.addEventListener('change', function (e) {
      if (e.target.id === 'bc-kind' || e.target.id === 'bc-audience') apply(form);
      // Choosing a file of openids means the audience is that list.
      if (e.target.id === 'bc-openid-file' && e.target.files.length) {
        form.querySelector('#bc-audience').value = 'openids';
        apply(form);
      }
    });
  });
})();
