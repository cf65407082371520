// The learner desk: live conversation (polling the server), canned responses, handling-time clock.
// No framework, no inline script; the page works without this file too (forms post and the page reloads).
(function () {
  "use strict";

  // Handling-time clock: the server gives the UTC time the contact was opened.
  var clock = document.querySelector(".handle-clock[data-since]");
  if (clock) {
    var raw = clock.dataset.since;
    // A naive ISO time from the server is UTC; trim microseconds to milliseconds for Date.parse.
    var iso = raw.replace(/(\.\d{3})\d+/, "$1") + (/(Z|[+-]\d\d:?\d\d)$/.test(raw) ? "" : "Z");
    var since = Date.parse(iso);
    var value = clock.querySelector(".clock-value");
    var pad = function (n) { return String(n).padStart(2, "0"); };
    var tick = function () {
      if (isNaN(since)) return;
      var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
      var m = Math.floor(s / 60);
      value.textContent = (m >= 60 ? Math.floor(m / 60) + ":" + pad(m % 60) : m) + ":" + pad(s % 60);
    };
    if (value) {
      tick();
      setInterval(tick, 1000);
    }
  }

  // A form the server refused comes back with what was typed and its message (#refused-error):
  // open its panel, point its first field at the message and put the learner there.
  var refusedError = document.getElementById("refused-error");
  var refusedForm = refusedError && refusedError.closest("form");
  if (refusedForm) {
    var field = refusedForm.querySelector("textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio])")
      || refusedForm.querySelector("select");
    if (field) {
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + "refused-error");
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
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

  function nearBottom() {
    return convo.scrollHeight - convo.scrollTop - convo.clientHeight < 80;
  }

  function scrollToEnd() {
    convo.scrollTop = convo.scrollHeight;
  }

  // Mirrors templates/learner/_message.html.
  function render(m) {
    if (convo.querySelector('[data-seq="' + m.seq + '"]')) return false;
    var node;
    if (m.type === "observation.added") {
      node = el("div", "msg msg-system");
      node.appendChild(el("span", "msg-who", "Assessor observation · " + m.at));
      node.appendChild(el("p", "", m.text));
    } else if (channel === "email") {
      node = el("article", "email " + (m.actor === "learner" ? "email-out" : "email-in"));
      var head = el("header");
      head.appendChild(el("strong", "email-from", m.actor === "learner" ? "You" : "Customer"));
      head.appendChild(el("span", "email-at", m.at));
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
    if (m.actor === "caller" && announcer) announcer.textContent = "Caller: " + m.text;
    if (m.ends && !document.getElementById("caller-ended")) {
      var note = el("p", "notice", "The caller has ended the conversation. Complete your notes and wrap-up.");
      note.id = "caller-ended";
      note.setAttribute("role", "status");
      convo.insertAdjacentElement("afterend", note);
    }
    return true;
  }

  // Practice mode: the rules' findings as coaching tips, refreshed with each poll.
  var tipsList = document.getElementById("tips-list");
  var tipsShown = tipsList ? tipsList.children.length : 0;
  function renderTips(tips) {
    if (!tipsList) return;
    var key = JSON.stringify(tips);
    if (tipsList.dataset.key === key) return;
    tipsList.dataset.key = key;
    tipsList.textContent = "";
    tips.forEach(function (t) {
      var li = el("li");
      li.appendChild(el("strong", "", t.explanation));
      if (t.evidence) li.appendChild(el("span", "muted", " “" + t.evidence + "”"));
      tipsList.appendChild(li);
    });
    var count = document.getElementById("tips-count");
    if (count) count.textContent = String(tips.length);
    if (tips.length > tipsShown) tipsList.closest("details").open = true;
    tipsShown = tips.length;
  }

  var polling = false, again = false, stick = false;
  function poll() {
    if (polling) { again = true; return; }
    polling = true;
    var follow = stick || nearBottom();
    stick = false;
    fetch(convo.dataset.updatesUrl + "?after=" + lastSeq,
          { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin",
            cache: "no-store" })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        return r.ok && type.indexOf("json") !== -1 ? r.json() : null;
      })
      .then(function (data) {
        if (!data) return;
        var added = false;
        (data.messages || []).forEach(function (m) { added = render(m) || added; });
        if (added && follow) scrollToEnd();
        lastSeq = Math.max(lastSeq, data.last_seq || 0);
        if (data.practice && Array.isArray(data.tips)) renderTips(data.tips);
        if (data.status && data.status !== convo.dataset.status) window.location.reload();
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .finally(function () {
        polling = false;
        if (again) { again = false; poll(); }
      });
  }
  scrollToEnd();
  if (convo.dataset.status === "live") setInterval(poll, 1500);

  // Canned responses: choosing one fills the composer; placeholders get their own inputs.
  var composer = document.getElementById("composer");
  if (!composer) return;
  var select = composer.querySelector("#template_id");
  var text = composer.querySelector("#text");
  var send = composer.querySelector('button[type="submit"]');
  var error = document.getElementById("composer-error");
  var box = document.getElementById("placeholders");
  function parse(json) { try { return JSON.parse(json || "{}"); } catch (e) { return {}; } }
  var values = parse(box.dataset.values);
  var names = parse(box.dataset.labels);
  var TOKEN = /\[[A-Z][A-Za-z ]*\]|\{[a-z_]+\}/g;

  function unfilled() {
    return Array.from(new Set(text.value.match(TOKEN) || []));
  }

  function fillToken(row, input, token) {
    var v = input.value.trim();
    if (!v) { input.focus(); return; }
    text.value = text.value.split(token).join(v);
    var next = row.nextElementSibling;
    row.remove();
    if (!box.querySelector(".placeholder-row")) {
      box.hidden = true;
      text.focus();
    } else {
      var target = next && next.querySelector("input") || box.querySelector(".placeholder-row input");
      if (target) target.focus();
    }
  }

  // Sending puts every placeholder that has a value (offered or typed) into the message, as if its
  // Fill button had been pressed; only the empty ones are left to block the message.
  function fillAllGiven() {
    Array.from(box.querySelectorAll(".placeholder-row")).forEach(function (row) {
      var input = row.querySelector("input");
      var v = input.value.trim();
      if (!v) return;
      text.value = text.value.split(input.dataset.token).join(v);
      row.remove();
    });
    if (!box.querySelector(".placeholder-row")) box.hidden = true;
  }

  function buildPlaceholders() {
    var follow = nearBottom();
    box.textContent = "";
    var tokens = unfilled();
    box.hidden = tokens.length === 0;
    if (tokens.length) {
      box.appendChild(el("p", "hint", "Fill in each placeholder to personalise the response. Send puts them " +
                                      "into the message; Fill shows one there first:"));
      tokens.forEach(function (token, i) {
        var row = el("div", "placeholder-row");
        var id = "ph-" + i;
        var label = el("label", "", names[token] || token);
        label.htmlFor = id;
        var input = el("input");
        input.id = id;
        input.autocomplete = "off";
        input.dataset.token = token;
        if (values[token]) input.value = values[token];
        var button = el("button", "btn btn-small", "Fill");
        button.type = "button";
        button.setAttribute("aria-label", "Fill " + (names[token] || token));
        button.addEventListener("click", function () { fillToken(row, input, token); });
        // Enter in a placeholder fills it (rather than sending the message half-filled).
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") { event.preventDefault(); fillToken(row, input, token); }
        });
        row.appendChild(label);
        row.appendChild(input);
        row.appendChild(button);
        box.appendChild(row);
      });
    }
    if (follow) scrollToEnd();
  }

  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option.dataset.text) text.value = option.dataset.text;
    error.textContent = "";
    buildPlaceholders();
  });

  // Ctrl+Enter (or Cmd+Enter) sends, as in most agent workspaces; Enter alone makes a new line.
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  var sending = false;
  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;  // one message per press: a double click must not send twice
    error.textContent = "";
    fillAllGiven();
    if (!text.value.trim()) {
      error.textContent = "The message is empty: type something first.";
      text.focus();
      return;
    }
    var left = unfilled();
    if (left.length) {
      error.textContent = "Fill in the placeholders first: " + left.join(", ");
      if (box.hidden) buildPlaceholders();
      var first = box.querySelector(".placeholder-row input");
      (first || text).focus();
      return;
    }
    sending = true;
    send.disabled = true;
    fetch(composer.action, { method: "POST", body: new FormData(composer), credentials: "same-origin",
                             headers: { "X-Requested-With": "fetch", "Accept": "application/json" } })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (type.indexOf("json") === -1) {
          // Not our JSON: a signed-out session or an expired page. Reloading shows why.
          return { ok: false, data: { error: r.status === 400
            ? "This page has expired: reload it and send again."
            : "The message could not be sent: reload the page and try again." } };
        }
        return r.json().then(function (data) { return { ok: r.ok && data.ok !== false, data: data }; });
      })
      .then(function (res) {
        if (!res.ok) { error.textContent = res.data.error || "The message could not be sent."; return; }
        composer.querySelector('[name="form_token"]').value = res.data.next_form_token;
        text.value = "";
        select.value = "";
        buildPlaceholders();
        stick = true;
        poll();
        text.focus();
      })
      .catch(function () { error.textContent = "The message could not be sent: check your connection and try again."; })
      .finally(function () { sending = false; send.disabled = false; });
  });
})();
