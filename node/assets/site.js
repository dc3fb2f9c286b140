// Small helpers for the pages; everything works without them.
(function () {
  'use strict';
  // "Copy" buttons next to a fediverse handle: shown only where the clipboard works.
  if (!navigator.clipboard) return;
  var buttons = document.querySelectorAll('button[data-copy]');
  for (var i = 0; i < buttons.length; i++) {
    var b = buttons[i];
    b.hidden = false;
    b.addEventListener('click', function (e) {
      var btn = e.currentTarget;
      var target = document.getElementById(btn.getAttribute('data-copy'));
      if (!target) return;
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        var label = btn.textContent;
        btn.textContent = '✓';
        setTimeout(function () { btn.textContent = label; }, 1500);
      });
    });
  }
})();
