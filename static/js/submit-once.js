// A long, destructive form (the cohort reset) is sent once: its buttons are disabled while it runs.
// The server refuses a second submit anyway; this only spares the wait and the second message.
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
      var busy = form.querySelector("[data-busy-text]");
      if (busy) { busy.hidden = false; }
    });
  });
  // Back to a page kept in the browser's cache: the buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submit-once] button[type=submit]").forEach(function (button) {
      button.disabled = false;
    });
  });
})();
