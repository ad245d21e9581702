// Small console behaviours that CSP-safe htmx attributes cannot express.
// Forms marked data-reset are cleared after a successful htmx submit, so the
// simulator's composer is ready for the next message.
document.addEventListener('htmx:afterRequest', function (e) {
  var f = e.detail.elt;
  if (f && f.matches && f.matches('form[data-reset]') && e.detail.successful) {
    f.reset();
    var first = f.querySelector('input:not([type=hidden])');
    if (first) first.focus();
  }
});
