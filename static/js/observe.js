// Live observation: poll the contact's timeline and append new events; send caller messages without reloading.
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list) return;
  var lastSeq = parseInt(list.dataset.lastSeq, 10) || 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // text only: nothing typed is ever HTML
    return node;
  }

  function render(e) {
    if (list.querySelector('[data-seq="' + e.seq + '"]')) return;
    var li = el("li", "tl-row tl-" + e.actor + (e.flags.length ? " tl-flagged" : ""));
    li.dataset.seq = e.seq;
    li.id = "event-" + e.seq;
    li.appendChild(el("span", "tl-time", e.at));
    li.appendChild(el("span", "tl-actor", e.actor.charAt(0).toUpperCase() + e.actor.slice(1)));
    var body = el("div", "tl-body");
    body.appendChild(el("span", "tl-what", "#" + e.seq + " " + e.detail));
    if (e.text) body.appendChild(el("p", "tl-text", e.text));
    e.flags.forEach(function (f) { body.appendChild(el("span", "flag", "⚑ " + f)); });
    li.appendChild(body);
    list.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  var busy = false;
  function poll() {
    if (busy) return;
    busy = true;
    fetch(list.dataset.url + "?after=" + lastSeq, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.events.forEach(render);
        lastSeq = Math.max(lastSeq, data.last_seq);
        var status = document.getElementById("obs-status");
        if (status && status.textContent !== data.status) {
          status.textContent = data.status;
          status.className = "status status-" + data.status;
        }
      })
      .catch(function () {})
      .finally(function () { busy = false; });
  }
  setInterval(poll, 1500);

  var form = document.getElementById("caller-form");
  if (!form) return;
  var error = document.getElementById("caller-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (!res.ok) { error.textContent = res.data.error || "Not sent."; return; }
        form.querySelector('[name="form_token"]').value = res.data.next_form_token;
        form.querySelector("textarea").value = "";
        poll();
      })
      .catch(function () { error.textContent = "Not sent: check the connection and try again."; });
  });
})();
