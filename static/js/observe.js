// Live observation: poll the contact's timeline and append new events; send caller messages and add
// observations without reloading. Without script, every form still posts and the page reloads.
(function () {
  "use strict";
  var list = document.getElementById("timeline");
  if (!list) return;
  var lastSeq = parseInt(list.dataset.lastSeq, 10) || 0;
  var status = list.dataset.status;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // text only: nothing typed is ever HTML
    return node;
  }

  function render(e) {
    if (list.querySelector('[data-seq="' + e.seq + '"]')) return;
    var li = el("li", "tl-row tl-" + e.actor + (e.flags.length ? " tl-flagged" : "") + " tl-new");
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

  // A flag raised after an event was drawn (e.g. "missing-log" at close) is added to that row.
  function reflag(e) {
    var li = list.querySelector('[data-seq="' + e.seq + '"]');
    if (!li || !e.flags.length) return;
    var body = li.querySelector(".tl-body");
    e.flags.forEach(function (f) {
      var shown = Array.prototype.some.call(li.querySelectorAll(".flag"), function (n) {
        return n.textContent.indexOf(f) !== -1;
      });
      if (!shown) body.appendChild(el("span", "flag", "⚑ " + f));
    });
    li.classList.add("tl-flagged");
  }

  function closed(state) {
    var callerForm = document.getElementById("caller-form");
    if (callerForm) {
      callerForm.querySelectorAll("textarea, button").forEach(function (n) { n.disabled = true; });
      document.getElementById("caller-error").textContent = "The contact is " + state + ": the caller can no longer be played.";
    }
  }

  var busy = false;
  function poll(full) {
    if (busy) return;
    busy = true;
    var after = full ? 0 : lastSeq;
    fetch(list.dataset.url + "?after=" + after, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.events.forEach(function (e) { if (e.seq > lastSeq) render(e); else reflag(e); });
        lastSeq = Math.max(lastSeq, data.last_seq);
        var badge = document.getElementById("obs-status");
        // The status in sentence case, as the server's label filter writes it ("closed" -> "Closed").
        var shown = data.status.charAt(0).toUpperCase() + data.status.slice(1).replace(/[_-]/g, " ");
        if (badge && badge.textContent !== shown) {
          badge.textContent = shown;
          badge.className = "status status-" + data.status;
        }
        if (status === "live" && data.status !== "live") {
          closed(data.status);
          busy = false;
          poll(true);  // one last full pass picks up the flags raised at close
        }
        status = data.status;
      })
      .catch(function () {})
      .finally(function () { busy = false; });
  }
  setInterval(function () { if (status === "live") poll(false); }, 1500);

  // Post a form in the background; ``done`` runs on success with the JSON answer.
  function ajax(form, error, done) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.textContent = "";
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { "X-Requested-With": "fetch" } })
        .then(function (r) {
          if ((r.headers.get("Content-Type") || "").indexOf("json") === -1) {
            // Not our JSON: a signed-out session (the sign-in page). Reloading shows why.
            return { ok: false, data: { error: "Not saved: reload the page and try again." } };
          }
          return r.json().then(function (d) { return { ok: r.ok, data: d }; });
        })
        .then(function (res) {
          if (!res.ok) { error.textContent = res.data.error || "Not saved: try again."; return; }
          done(res.data);
          poll(false);
        })
        .catch(function () { error.textContent = "Not sent: check the connection and try again."; })
        .finally(function () { button.disabled = false; });
    });
    // Ctrl+Enter (or Cmd+Enter) in the text box sends, as in the learner's composer.
    var text = form.querySelector("textarea");
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  var callerForm = document.getElementById("caller-form");
  if (callerForm) {
    ajax(callerForm, document.getElementById("caller-error"), function (data) {
      callerForm.querySelector('[name="form_token"]').value = data.next_form_token;
      callerForm.querySelector("textarea").value = "";
    });
  }

  var obsForm = document.getElementById("observation-form");
  if (obsForm) {
    var obsStatus = document.getElementById("observation-status");
    ajax(obsForm, document.getElementById("observation-error"), function () {
      obsForm.reset();
      obsStatus.textContent = "Observation added to the timeline.";
    });
    obsForm.addEventListener("input", function () { obsStatus.textContent = ""; });
  }
})();
