// The learner desk, live: forms update the panels they change without reloading the page, the
// conversation polls the server by cursor, the caller's typing shows, canned responses can be searched.
// No framework, no inline script. The page works without this file (every form posts and the page
// reloads), and with it the server sends the same page: this script only swaps in what changed.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var byId = function (id) { return document.getElementById(id); };
  // The parts of the desk a form can change, each replaced only when the server's HTML for it changed.
  var PANELS = [".ws-queue", ".ws-header", "#customer-panel", "#actions", "#wrapup-panel", "#notes", "#kb", "#tips"];
  var TYPING = "The caller is typing…";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // text only: messages are never HTML
    return node;
  }

  // ---- Handling-time clock: the server gives the UTC time the contact was opened.
  var pad = function (n) { return String(n).padStart(2, "0"); };
  function tick() {
    var clock = document.querySelector(".handle-clock[data-since]");
    var value = clock && clock.querySelector(".clock-value");
    if (!value) return;
    var raw = clock.dataset.since;
    // A naive ISO time from the server is UTC; trim microseconds to milliseconds for Date.parse.
    var since = Date.parse(raw.replace(/(\.\d{3})\d+/, "$1") + (/(Z|[+-]\d\d:?\d\d)$/.test(raw) ? "" : "Z"));
    if (isNaN(since)) return;
    var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var m = Math.floor(s / 60);
    value.textContent = (m >= 60 ? Math.floor(m / 60) + ":" + pad(m % 60) : m) + ":" + pad(s % 60);
  }
  tick();
  setInterval(tick, 1000);

  // ---- A form the server refused comes back with what was typed and its message (#refused-error):
  // point its first field at the message and put the learner there.
  function focusRefused() {
    var refusedError = byId("refused-error");
    var form = refusedError && refusedError.closest("form");
    if (!form) return false;
    var details = form.closest("details");
    if (details) details.open = true;
    var field = form.querySelector("textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio])")
      || form.querySelector("select");
    if (!field) return false;
    var described = field.getAttribute("aria-describedby") || "";
    if (described.indexOf("refused-error") === -1) {
      field.setAttribute("aria-describedby", (described ? described + " " : "") + "refused-error");
    }
    field.setAttribute("aria-invalid", "true");
    field.focus();
    return true;
  }
  focusRefused();

  // ---- The conversation: new messages since the last seq seen (the server reads only those).
  var lastSeq = 0;
  var labels = { learner: "You", caller: "Caller", assessor: "Assessor", system: "System" };
  function convo() { return byId("conversation"); }
  function nearBottom() {
    var c = convo();
    return !c || c.scrollHeight - c.scrollTop - c.clientHeight < 80;
  }
  function scrollToEnd() {
    var c = convo();
    if (c) c.scrollTop = c.scrollHeight;
  }
  function startConversation() {
    var c = convo();
    lastSeq = c ? parseInt(c.dataset.lastSeq, 10) || 0 : 0;
    scrollToEnd();
    var filterBox = byId("template-filter-box");
    if (filterBox) filterBox.hidden = false;
  }

  // Mirrors templates/learner/_message.html.
  function render(m) {
    var c = convo();
    if (!c || c.querySelector('[data-seq="' + m.seq + '"]')) return false;
    var node;
    if (m.type === "observation.added") {
      node = el("div", "msg msg-system");
      node.appendChild(el("span", "msg-who", "Assessor observation · " + m.at));
      node.appendChild(el("p", "", m.text));
    } else if (c.dataset.channel === "email") {
      node = el("article", "email " + (m.actor === "learner" ? "email-out" : "email-in"));
      var head = el("header");
      head.appendChild(el("strong", "email-from", m.actor === "learner" ? "You" : "Customer"));
      head.appendChild(el("span", "email-at", m.at));
      head.appendChild(el("span", "email-subject", m.subject || ""));
      node.appendChild(head);
      node.appendChild(el("p", "", m.text));
    } else {
      node = el("div", "msg " + (m.actor === "learner" ? "msg-learner" : "msg-caller") + (m.public ? " msg-public" : ""));
      var where = m.public ? (m.actor === "learner" ? " · Public reply: everyone can see this" : " · Public post: everyone can see this")
        : (byId("social-hint") ? " · Private message" : "");
      node.appendChild(el("span", "msg-who", (labels[m.actor] || m.actor) + " · " + m.at + where));
      node.appendChild(el("p", "", m.text));
    }
    node.dataset.seq = m.seq;
    c.appendChild(node);
    var announcer = byId("caller-announcer");
    if (m.actor === "caller" && announcer) announcer.textContent = "Caller: " + m.text;
    if (m.ends && !byId("caller-ended")) {
      var note = el("p", "notice", "The caller has ended the conversation. Complete your notes and wrap-up.");
      note.id = "caller-ended";
      note.setAttribute("role", "status");
      var typing = byId("typing");
      (typing || c).insertAdjacentElement("afterend", note);
    }
    return true;
  }

  // Practice mode: the rules' findings as coaching tips, refreshed with each poll.
  function renderTips(tips) {
    var tipsList = byId("tips-list");
    if (!tipsList) return;
    var key = JSON.stringify(tips);
    if (tipsList.dataset.key === key) return;
    var shown = tipsList.children.length;
    tipsList.dataset.key = key;
    tipsList.textContent = "";
    tips.forEach(function (t) {
      var li = el("li");
      li.appendChild(el("strong", "", t.explanation));
      if (t.evidence) li.appendChild(el("span", "muted", " “" + t.evidence + "”"));
      tipsList.appendChild(li);
    });
    var count = byId("tips-count");
    if (count) count.textContent = String(tips.length);
    if (tips.length > shown) tipsList.closest("details").open = true;
  }

  function showTyping(on) {
    var typing = byId("typing");
    var text = on ? TYPING : "";
    if (typing && typing.textContent !== text) typing.textContent = text;
  }

  var polling = false, again = false, stick = false;
  function poll() {
    var c = convo();
    if (!c || c.dataset.status !== "live") return;
    if (polling) { again = true; return; }
    polling = true;
    var follow = stick || nearBottom();
    stick = false;
    fetch(c.dataset.updatesUrl + "?after=" + lastSeq,
          { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin",
            cache: "no-store" })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        return r.ok && type.indexOf("json") !== -1 ? r.json() : null;
      })
      .then(function (data) {
        if (!data || convo() !== c) return;
        var added = false;
        (data.messages || []).forEach(function (m) { added = render(m) || added; });
        if (added && follow) scrollToEnd();
        lastSeq = Math.max(lastSeq, data.last_seq || 0);
        showTyping(!!data.typing);
        if (data.practice && Array.isArray(data.tips)) renderTips(data.tips);
        if (data.status && data.status !== c.dataset.status) refresh();
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .finally(function () {
        polling = false;
        if (again) { again = false; poll(); }
      });
  }
  startConversation();
  setInterval(poll, 1500);

  // ---- Swapping in the server's page: only the panels whose HTML changed, keeping what the learner
  // opened and typed elsewhere; the whole workspace when the contact or its status changed.
  // A panel's HTML without its one-time tokens (new on every page): what says whether it changed.
  // (and without the running clock's time, which this script writes).
  var TOKENS = /(name="(?:form_token|csrf_token)"[^>]*?value=")[^"]*"/g;
  var CLOCK = /(class="clock-value"[^>]*>)[^<]*/g;
  function key(node) { return node ? node.outerHTML.replace(TOKENS, "$1\"").replace(CLOCK, "$1") : ""; }
  var served = {};  // selector -> the server's HTML for it last time (the page as first sent, then each swap)
  function remember(root) {
    PANELS.forEach(function (sel) { served[sel] = key(root.querySelector(sel)); });
  }
  remember(document);

  function swapPanel(sel, doc) {
    var old = document.querySelector(sel), neu = doc.querySelector(sel);
    var k = key(neu);
    if (!old || !neu || served[sel] === k) return false;
    served[sel] = k;
    var open = Array.prototype.filter.call(old.querySelectorAll("details[open][id]"), function () { return true; })
      .map(function (d) { return d.id; });
    if (old.matches("details[open]")) open.push(old.id);
    var node = document.importNode(neu, true);
    old.replaceWith(node);
    open.forEach(function (id) { var d = byId(id); if (d && d.tagName === "DETAILS") d.open = true; });
    return true;
  }

  function setFlashes(doc) {
    var here = byId("flashes"), there = doc.getElementById("flashes");
    if (!here) return;
    here.textContent = "";
    if (there) Array.prototype.forEach.call(there.children, function (p) { here.appendChild(document.importNode(p, true)); });
  }

  function focusAfter(formAction, panelId) {
    if (focusRefused()) return;
    var form = formAction && main.querySelector('form[action="' + formAction + '"]');
    var target = form && (form.querySelector("textarea, input:not([type=hidden]), select") || form.querySelector("button"));
    if (!target && panelId) {
      var panel = byId(panelId);
      target = panel && (panel.querySelector("summary") || panel);
    }
    if (target && target.offsetParent !== null) target.focus();
  }

  function apply(doc, url, formAction, panelId) {
    var here = byId("ws-main"), there = doc.getElementById("ws-main");
    if (!here || !there) { notDesk(doc, url); return; }
    setFlashes(doc);
    if (here.dataset.contactId !== there.dataset.contactId || here.dataset.status !== there.dataset.status) {
      Array.prototype.slice.call(main.children).forEach(function (n) { if (n.id !== "flashes") n.remove(); });
      Array.prototype.forEach.call(doc.getElementById("main").children, function (n) {
        if (n.id !== "flashes") main.appendChild(document.importNode(n, true));
      });
      document.title = doc.title;
      if (url && url.split("#")[0] !== window.location.href.split("#")[0]) window.history.pushState(null, "", url);
      remember(document);
      tick();
      startConversation();
      showTyping(false);
      if (!focusRefused()) {
        var title = byId("contact-title");
        if (title) title.focus();
      }
      return;
    }
    PANELS.forEach(function (sel) { swapPanel(sel, doc); });
    tick();
    // The composer keeps what is typed in it; only the values its placeholders may offer change (the
    // caller's details, once verified).
    var box = byId("placeholders"), newBox = doc.getElementById("placeholders");
    if (box && newBox) {
      box.dataset.values = newBox.dataset.values || "{}";
      box.dataset.labels = newBox.dataset.labels || "{}";
    }
    focusAfter(formAction, panelId);
  }

  // The answer was not the desk: an error page (say what it says) or the sign-in page (go there).
  function notDesk(doc, url) {
    if (doc.querySelector("form[action*='/auth/login']") || !doc.getElementById("main")) {
      window.location.assign(url);
      return;
    }
    var flashes = byId("flashes");
    var heading = doc.querySelector("#main h1");
    var para = doc.querySelector("#main p");
    flashes.textContent = "";
    flashes.appendChild(el("p", "flash flash-error",
      [heading && heading.textContent, para && para.textContent].filter(Boolean).join(": ")));
  }

  // Forms are sent one after another, in the order they were submitted (a press on a list the previous
  // answer is about to replace still counts); the same form pressed again while it is being sent is not.
  var queue = Promise.resolve();
  function send(form, submitter) {
    if (form.getAttribute("aria-busy") === "true") return;
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var action = submitter && submitter.hasAttribute("formaction") ? submitter.getAttribute("formaction") : form.getAttribute("action");
    var formAction = form.getAttribute("action");
    var panel = form.closest(".ws-side > [id]");
    form.setAttribute("aria-busy", "true");
    queue = queue.then(function () {
      return fetch(action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "desk" } })
        .then(function (r) {
          return r.text().then(function (html) {
            apply(new DOMParser().parseFromString(html, "text/html"), r.url, formAction, panel && panel.id);
          });
        })
        .catch(function () {
          var flashes = byId("flashes");
          if (flashes) {
            flashes.textContent = "";
            flashes.appendChild(el("p", "flash flash-error", "That could not be sent: check your connection and try again."));
          }
        })
        .then(function () { form.removeAttribute("aria-busy"); });
    });
  }

  function refresh() {
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "X-Requested-With": "desk" } })
      .then(function (r) { return r.text().then(function (html) { apply(new DOMParser().parseFromString(html, "text/html"), r.url); }); })
      .catch(function () {});
  }

  // ---- Canned responses: the list filtered as you type; choosing one fills the composer; its
  // placeholders get their own inputs.
  function placeholderData(name) {
    var box = byId("placeholders");
    try { return JSON.parse((box && box.dataset[name]) || "{}"); } catch (e) { return {}; }
  }
  var TOKEN = /\[[A-Z][A-Za-z ]*\]|\{[a-z_]+\}/g;
  function text() { return byId("text"); }
  function unfilled() { return Array.from(new Set(text().value.match(TOKEN) || [])); }

  function fillToken(row, input, token) {
    var box = byId("placeholders");
    var v = input.value.trim();
    if (!v) { input.focus(); return; }
    text().value = text().value.split(token).join(v);
    var next = row.nextElementSibling;
    row.remove();
    if (!box.querySelector(".placeholder-row")) {
      box.hidden = true;
      text().focus();
    } else {
      var target = next && next.querySelector("input") || box.querySelector(".placeholder-row input");
      if (target) target.focus();
    }
  }

  // Sending puts every placeholder that has a value (offered or typed) into the message, as if its
  // Fill button had been pressed; only the empty ones are left to block the message.
  function fillAllGiven() {
    var box = byId("placeholders");
    Array.from(box.querySelectorAll(".placeholder-row")).forEach(function (row) {
      var input = row.querySelector("input");
      var v = input.value.trim();
      if (!v) return;
      text().value = text().value.split(input.dataset.token).join(v);
      row.remove();
    });
    if (!box.querySelector(".placeholder-row")) box.hidden = true;
  }

  function buildPlaceholders() {
    var box = byId("placeholders");
    var values = placeholderData("values"), names = placeholderData("labels");
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

  function chooseTemplate(select) {
    var option = select.options[select.selectedIndex];
    if (option && option.dataset.text) text().value = option.dataset.text;
    byId("composer-error").textContent = "";
    buildPlaceholders();
  }

  function filterTemplates(filter) {
    var select = byId("template_id");
    var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(select.options, function (o) {
      if (!o.value) return;
      var hay = (o.textContent + " " + (o.dataset.text || "")).toLowerCase();
      var hit = words.every(function (w) { return hay.indexOf(w) !== -1; });
      o.hidden = !hit;
      o.disabled = !hit;
      if (hit) shown += 1;
    });
    byId("template-count").textContent = words.length
      ? shown + " canned response" + (shown === 1 ? "" : "s") + " match" + (shown === 1 ? "es" : "") : "";
    return shown;
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "template-filter") filterTemplates(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "template_id") chooseTemplate(event.target);
  });
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    // Enter in the canned-response search takes the first match (it never sends the message).
    if (t.id === "template-filter" && event.key === "Enter") {
      event.preventDefault();
      var select = byId("template_id");
      var first = Array.prototype.find.call(select.options, function (o) { return o.value && !o.hidden; });
      if (first) {
        select.value = first.value;
        chooseTemplate(select);
        text().focus();
      }
    }
    // Ctrl+Enter (or Cmd+Enter) sends, as in most agent workspaces; Enter alone makes a new line.
    if (t.id === "text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      byId("composer").requestSubmit();
    }
  });

  var messaging = false;
  function sendMessage(composer, submitter) {
    if (messaging) return;  // one message per press: a double click must not send twice
    var error = byId("composer-error");
    var box = byId("placeholders");
    // On a social-media contact the button pressed says where the reply goes (public or private).
    var sendButton = submitter || composer.querySelector('button[type="submit"]');
    error.textContent = "";
    fillAllGiven();
    if (!text().value.trim()) {
      error.textContent = "The message is empty: type something first.";
      text().focus();
      return;
    }
    var left = unfilled();
    if (left.length) {
      error.textContent = "Fill in the placeholders first: " + left.join(", ");
      if (box.hidden) buildPlaceholders();
      var first = box.querySelector(".placeholder-row input");
      (first || text()).focus();
      return;
    }
    messaging = true;
    sendButton.disabled = true;
    var body = new FormData(composer);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    fetch(composer.action, { method: "POST", body: body, credentials: "same-origin",
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
        text().value = "";
        byId("template_id").value = "";
        buildPlaceholders();
        stick = true;
        poll();
        text().focus();
      })
      .catch(function () { error.textContent = "The message could not be sent: check your connection and try again."; })
      .finally(function () { messaging = false; sendButton.disabled = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "composer") {
      event.preventDefault();
      sendMessage(form, event.submitter);
      return;
    }
    // Every other form of the desk that records something: sent in the background, then swapped in.
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || !main.contains(form) || !byId("ws-main")) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  // Back and Forward after a swap that changed the contact: show that page as it is now.
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
