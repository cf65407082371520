// The replay's scrubber: moving the slider shows that event (the page works without this: "Show").
(function () {
  "use strict";
  var form = document.getElementById("replay-scrub");
  if (!form) return;
  var range = form.querySelector("#at");
  var shown = document.getElementById("at-shown");
  var timer = null;
  range.addEventListener("input", function () {
    shown.textContent = range.value + " / " + range.max;
    range.setAttribute("aria-valuetext", "Event " + range.value + " of " + range.max);
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(); }, 400);
  });
})();
