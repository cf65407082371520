// Forms marked data-busy="What is happening…": on submit the button says so, shows it is working and
// cannot be pressed twice (an import or a one-time download must not be sent again). Coming back to the
// page with the browser's Back button gives the button back.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]")) { return; }
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    form.setAttribute("aria-busy", "true");
    var status = form.querySelector("[data-busy-status]");
    if (status) { status.textContent = form.dataset.busyNote || form.dataset.busy; }
    if (!button) { return; }
    button.dataset.label = button.textContent;
    button.textContent = form.dataset.busy;
    button.classList.add("is-busy");
    // Disabled after this turn, so the browser still sends the form it is submitting.
    window.setTimeout(function () { button.disabled = true; }, 0);
    // A download leaves the page where it is: once it has had time to start, stop the spinner (the
    // button keeps saying what happened and stays disabled: the file can be taken once).
    if (form.classList.contains("download-once")) {
      window.setTimeout(function () { button.classList.remove("is-busy"); }, 2000);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-busy][aria-busy=true]").forEach(function (form) {
      if (form.classList.contains("download-once")) { return; }  // that file is gone: keep saying so
      form.removeAttribute("aria-busy");
      var button = form.querySelector(".is-busy");
      if (button) {
        button.textContent = button.dataset.label;
        button.classList.remove("is-busy");
        button.disabled = false;
      }
    });
  });
})();
