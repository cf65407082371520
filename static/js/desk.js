// The learner desk: live conversation (polling the server), canned responses, handling-time clock.
// No framework; works without this script too (forms post and the page reloads).
(function () {
  "use strict";

  // Handling-time clock.
  var clock = document.querySelector(".handle-clock[data-since]");
  if (clock) {
    var since = Date.parse(clock.dataset.since + (clock.dataset.since.endsWith("Z") || clock.dataset.since.includes("+") ? "" : "Z"));
    var value = clock.querySelector(".clock-value");
    var tick = function () {
      var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
      var m = Math.floor(s / 60);
      value.textContent = (m >= 60 ? Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0") : m) + ":" + String(s % 60).padStart(2, "0");
    };
    tick();
    setInterval(tick, 1000);
  }

  var convo = document.getElementById("conversation");
  if (!convo) return;
  var channel = convo.dataset.channel;
  var lastSeq = parseInt(convo.dataset.lastSeq, 10) || 0;
  var announcer = document.getElementById("caller-announcer");
  var labels = { learner: "You", caller: "Caller", assessor: "Assessor", system: "System" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // text only: messages are never HTML
    return node;
  }

  function render(m) {
    if (convo.querySelector('[data-seq="' + m.seq + '"]')) return;
    var node;
    if (m.type === "observation.added") {
      node = el("div", "msg msg-system");
      node.appendChild(el("span", "msg-who", "Assessor observation · " + m.at));
      node.appendChild(el("p", "", m.text));
    } else if (channel === "email") {
      node = el("article", "email " + (m.actor === "learner" ? "email-out" : "email-in"));
      var head = el("header");
      head.appendChild(el("strong", "", m.actor === "learner" ? "You" : "Customer"));
      head.appendChild(document.createTextNode(" · " + m.at));
      head.appendChild(el("br"));
      head.appendChild(el("span", "email-subject", m.subject || ""));
      node.appendChild(head);
      node.appendChild(el("p", "", m.text));
    } else {
      node = el("div", "msg " + (m.actor === "learner" ? "msg-learner" : "msg-caller"));
      node.appendChild(el("span", "msg-who", (labels[m.actor] || m.actor) + " · " + m.at));
      node.appendChild(el("p", "", m.text));
    }
    node.dataset.seq = m.seq;
    convo.appendChild(node);
    convo.scrollTop = convo.scrollHeight;
    if (m.actor === "caller" && announcer) announcer.textContent = "Caller: " + m.text;
    if (m.ends && !document.getElementById("caller-ended")) {
      var note = el("p", "notice", "The caller has ended the conversation. Complete your notes and wrap-up.");
      note.id = "caller-ended";
      convo.insertAdjacentElement("afterend", note);
    }
  }

  var polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    fetch(convo.dataset.updatesUrl + "?after=" + lastSeq, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.messages.forEach(render);
        lastSeq = Math.max(lastSeq, data.last_seq);
        if (data.status !== convo.dataset.status) window.location.reload();
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .finally(function () { polling = false; });
  }
  convo.scrollTop = convo.scrollHeight;
  if (convo.dataset.status === "live") setInterval(poll, 1500);

  // Canned responses: choosing one fills the composer; placeholders get their own inputs.
  var composer = document.getElementById("composer");
  if (!composer) return;
  var select = composer.querySelector("#template_id");
  var text = composer.querySelector("#text");
  var box = document.getElementById("placeholders");
  var values = JSON.parse(box.dataset.values || "{}");
  var names = JSON.parse(box.dataset.labels || "{}");
  var TOKEN = /\[[A-Z][A-Za-z ]*\]|\{[a-z_]+\}/g;

  function buildPlaceholders() {
    box.innerHTML = "";
    var tokens = Array.from(new Set(text.value.match(TOKEN) || []));
    box.hidden = tokens.length === 0;
    if (!tokens.length) return;
    box.appendChild(el("p", "hint", "Fill in the placeholders to personalise the response:"));
    tokens.forEach(function (token, i) {
      var row = el("div", "placeholder-row");
      var id = "ph-" + i;
      var label = el("label", "", names[token] || token);
      label.htmlFor = id;
      var input = el("input");
      input.id = id;
      input.dataset.token = token;
      if (values[token]) input.value = values[token];
      var button = el("button", "btn btn-small", "Fill");
      button.type = "button";
      button.addEventListener("click", function () {
        if (!input.value.trim()) { input.focus(); return; }
        text.value = text.value.split(token).join(input.value.trim());
        row.remove();
        if (!box.querySelector(".placeholder-row")) box.hidden = true;
      });
      row.appendChild(label);
      row.appendChild(input);
      row.appendChild(button);
      box.appendChild(row);
    });
  }

  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option.dataset.text) text.value = option.dataset.text;
    buildPlaceholders();
  });

  var error = document.getElementById("composer-error");
  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    var left = text.value.match(TOKEN);
    fetch(composer.action, { method: "POST", body: new FormData(composer), credentials: "same-origin",
                             headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (!res.ok) { error.textContent = res.data.error || "The message could not be sent."; return; }
        composer.querySelector('[name="form_token"]').value = res.data.next_form_token;
        text.value = "";
        select.value = "";
        buildPlaceholders();
        if (left) error.textContent = "Sent with unfilled placeholders: " + left.join(", ");
        poll();
      })
      .catch(function () { error.textContent = "The message could not be sent: check your connection and try again."; });
  });
})();
