// Destructive forms ask first. A form (or the button that submits it) with
// data-confirm="question" shows the question; "cancel" stops the submit.
// The CSP forbids inline onsubmit handlers, hence this file.
document.addEventListener('submit', function (e) {
  var b = e.submitter, f = e.target;
  var q = (b && b.getAttribute('data-confirm')) || (f && f.getAttribute && f.getAttribute('data-confirm'));
  if (q && !window.confirm(q)) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}, true);
