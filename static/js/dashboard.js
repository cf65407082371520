// The assessor's dashboard, live: every few seconds (while the tab is visible) the same page is read again
// from the server (the database, so it works across workers) and each section whose content changed is
// swapped in. Without script the page is complete as loaded.
(function () {
  "use strict";
  var live = document.getElementById("dashboard-live");
  if (!live) return;
  var announcer = document.getElementById("dashboard-announcer");
  var EVERY = 3000;
  var busy = false;

  function sections(root) { return Array.prototype.slice.call(root.querySelectorAll("section[data-live][id]")); }
  function awaiting(root) {
    var title = root.getElementById("awaiting-title");
    return title ? title.textContent : "";
  }

  function update() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(live.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: { "X-Requested-With": "dashboard" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var before = awaiting(document);
        sections(document).forEach(function (old) {
          var neu = doc.getElementById(old.id);
          // A section the assessor's keyboard focus is in is left alone until focus moves on.
          if (!neu || neu.innerHTML === old.innerHTML || old.contains(document.activeElement)) return;
          old.replaceWith(document.importNode(neu, true));
        });
        var after = awaiting(document);
        if (announcer && after && after !== before) announcer.textContent = after;
        live.textContent = "updated live, last at " + new Date().toLocaleTimeString("en-GB");
      })
      .catch(function () { live.textContent = "live updates paused: the server cannot be reached"; })
      .finally(function () { busy = false; });
  }
  live.textContent = "updated live";
  setInterval(update, EVERY);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) update(); });
})();
