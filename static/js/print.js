// The report pages' Print button (no inline handlers: the pages are ready for a Content-Security-Policy).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
