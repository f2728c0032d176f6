/* Jixiao pages: what every page needs. A task completed on the server drops its draft from this browser. */
(function () {
  'use strict';
  var body = document.body;
  var done = body.getAttribute('data-clear-draft');
  var user = body.getAttribute('data-user');
  if (done && user) {
    try { window.localStorage.removeItem('jixiao.draft.' + user + '.' + done); } catch (e) { /* storage off */ }
  }
  // Print buttons (data-print) get their click handler here: the pages run no inline script (security_headers.py).
  Array.prototype.forEach.call(document.querySelectorAll('[data-print]'), function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
}());
