// The forum's one script (DESIGN.md, "Web pages"). Every page works without it. It shows
// dates in the reader's own time zone, adds live updates to a thread page over /ws
// ("Realtime protocol"; a post's open revisions page reloads when the post is edited or
// redacted), sends the reply form through the JSON API without reloading, shows
// previews in place, and keeps a member's unread notifications count in the header
// live. No words of its own: the page gives them, translated.
(function () {
  "use strict";
  var dates = window.Intl && new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { dateStyle: "medium", timeStyle: "short" });
  function localTime(t) {
    var d = new Date(t.dateTime);
    if (dates && !isNaN(d) && t.dataset.date !== "day") t.textContent = dates.format(d);
  }
  document.querySelectorAll("time[datetime]").forEach(localTime);

  var posts = document.getElementById("posts");
  var me = posts ? +posts.dataset.me || null : null;
  var rtl = posts ? (posts.dataset.rtl || "").split(" ") : [];
  // A deleted account's name, fixed in the API (forum.leaving.FORMER_MEMBER), in the
  // page's language.
  var FORMER = "A former member";

  function $(root, sel) { return root.querySelector(sel); }
  function drop(n) { if (n) n.remove(); }

  // A post from the API or an event, in the markup of the page's own posts: a copy of
  // the page's <template> (the author's own posts offer what the server allows on
  // them). Only body_html, sanitised by the server, is inserted as HTML.
  function render(p) {
    var tpl = document.getElementById(me && p.author.id === me ? "post-mine" : "post-other");
    var a = tpl.content.firstElementChild.cloneNode(true), t = $(a, "time"), r = $(a, ".reply");
    a.id = "post-" + p.id;
    if (p.language) {
      a.lang = p.language;
      a.dir = rtl.indexOf(p.language) < 0 ? "ltr" : "rtl";
    }
    $(a, ".position").textContent = "#" + p.position;
    $(a, ".author").textContent =
      p.author.name === FORMER ? posts.dataset.former : p.author.name;
    t.dateTime = t.textContent = p.created_at;
    localTime(t);
    if (!p.edited_at) drop($(a, ".edited"));
    if (p.reply_to) {
      $(r, "a").href = document.getElementById("post-" + p.reply_to)
        ? "#post-" + p.reply_to : "/posts/" + p.reply_to;
    } else drop(r);
    if (p.deleted || p.body_html == null) {
      drop($(a, ".body"));
      drop($(a, ".actions"));
      drop($(a, p.deleted ? ".hidden-post" : ".deleted-post"));
    } else {
      drop($(a, ".deleted-post"));
      drop($(a, ".hidden-post"));
      $(a, ".body").innerHTML = p.body_html;
      a.querySelectorAll(".actions a").forEach(function (l) {
        l.href = l.getAttribute("href").split("{id}").join(p.id);
      });
    }
    moderation(a, p);
    return a;
  }

  // A moderator's controls (the server put them in the template for those who may use
  // them): aimed at this post, with the buttons that fit its state, as the page renders.
  function moderation(a, p) {
    var form = $(a, "form.moderation");
    if (!form) return;
    form.querySelectorAll("[action], [id], [for], [href]").forEach(fill);
    fill(form);
    function fill(n) {
      ["action", "id", "for", "href"].forEach(function (name) {
        var v = n.getAttribute(name);
        if (v) n.setAttribute(name, v.split("{id}").join(p.id));
      });
    }
    var keep = p.deleted ? ["restore"] : [p.hidden ? "show" : "hide", "delete"];
    form.querySelectorAll("button[name=do]").forEach(function (b) {
      if (keep.indexOf(b.value) < 0) drop(b);
    });
  }

  function show(p, fresh) {
    var old = document.getElementById("post-" + p.id);
    if (old) return old.replaceWith(render(p));
    if (!fresh || document.querySelector("a[rel=next]")) return;
    var a = render(p);
    a.classList.add("fresh");
    posts.append(a);
    seen(p.position);
    return a;
  }

  // A member who saw a post arrive has read it: the thread lists stop counting it as
  // new. Sent once the burst is over, with the furthest position.
  var furthest = 0, pending = null;
  function seen(position) {
    if (!me || !posts.dataset.read) return;
    furthest = Math.max(furthest, position);
    clearTimeout(pending);
    pending = setTimeout(function () {
      var field = document.querySelector("input[name=csrf]");
      if (!field) return;
      fetch(posts.dataset.read, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token(field) },
        body: JSON.stringify({ position: furthest })
      }).catch(function () { /* the next page view records it */ });
    }, 2000);
  }

  // Live updates -----------------------------------------------------------------
  // `channel`'s events, from `since` (the event cursor the page was rendered at:
  // resuming from it misses nothing), each handed to `handle`.
  function live(channel, since, handle) {
    if (!window.WebSocket) return;
    since = since || null;
    var presence = document.getElementById("presence");
    var ws = null, timer = null, delay = 1000;

    function receive(e) {
      var msg = JSON.parse(e.data);
      if (msg.op === "event") {
        since = msg.id;
        if (msg.channel === channel) handle(msg);
      } else if (msg.op === "presence" && msg.channel === channel && presence) {
        presence.textContent = presence.dataset.words + " " + msg.count;
        presence.hidden = false;
      } else if (msg.op === "subscribed") {
        delay = 1000;
      } else if (msg.op === "resync" || (msg.op === "error" && msg.channel === channel)) {
        // Backlog too old, or this reader may not read the thread now (logged out, a
        // region closed to visitors, the thread hidden): the page shows what they may.
        reload();
      } else if (msg.op === "error" && msg.retry_after) {
        // Too many requests for missed events: nothing was joined; ask again later.
        var s = ws;
        setTimeout(function () { if (ws === s) subscribe(s); }, msg.retry_after * 1000);
      }
    }

    function reload() {
      try { // at most one reload in 30 s: a loop would be costly on a slow link
        if (Date.now() - (+sessionStorage.getItem("live-reload") || 0) < 30000) return;
        sessionStorage.setItem("live-reload", Date.now());
      } catch (e) { /* no storage: reload anyway */ }
      location.reload();
    }

    function subscribe(s) {
      var sub = { op: "subscribe", channels: [channel] };
      if (since) sub.since = since;
      s.send(JSON.stringify(sub));
    }

    function connect() {
      timer = null;
      if (ws || document.hidden) return;
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
      var s = ws = new WebSocket(url);
      s.onopen = function () { subscribe(s); };
      s.onmessage = receive;
      // Any code: resume from the last event. 4008: too slow. 4401: the login changed
      // (logout, password, suspension, expiry): the new socket reads as whoever the
      // cookie names now, and the thread is refused if they may not read it.
      s.onclose = function () {
        if (ws === s) ws = null;
        if (presence) presence.hidden = true;
        schedule();
      };
    }

    function schedule() {
      if (ws || timer || document.hidden) return; // hidden: wait to be visible again
      timer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
      delay = Math.min(delay * 2, 30000);
    }

    document.addEventListener("visibilitychange", function () {
      clearTimeout(timer);
      timer = null;
      if (!document.hidden) connect();
    });
    connect();
  }

  // Forms --------------------------------------------------------------------------
  // A form with a Markdown body: Preview asks the API (no round trip of the page), and
  // the reply form (data-api) is sent to the API with the CSRF token the API expects
  // and an Idempotency-Key, so a retry after a lost answer never posts twice. An answer
  // the script cannot show (a refusal, a field to correct) sends the form as without
  // the script: the server's page then shows the error, worded in the reader's language,
  // next to the field, with the text kept. 4xx answers created nothing, so that is safe.
  function key() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); })
      .join("");
  }

  // The form's CSRF field holds the session's token masked with a fresh pad
  // (web/auth.py: base64url of pad + token XOR pad); the API takes the token itself.
  function token(field) {
    var raw = atob(field.value.replace(/-/g, "+").replace(/_/g, "/"));
    var half = raw.length / 2, out = "";
    for (var i = 0; i < half; i++) {
      out += String.fromCharCode(raw.charCodeAt(i) ^ raw.charCodeAt(half + i));
    }
    return out;
  }

  function enhance(form) {
    var body = form.elements.body, out = $(form, ".preview"), note = $(form, ".note");
    var sent = null, id = null, busy = false;
    if (!body || !window.fetch || !window.crypto) return;

    function plain(button) { // as without the script
      form.dataset.plain = "1";
      (button || $(form, "button:not([name=preview])")).click();
    }

    function say(text) {
      if (!note) return;
      note.textContent = text || "";
      note.hidden = !text;
    }

    function call(url, data, headers) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = token(form.elements.csrf);
      return fetch(url, {
        method: "POST", headers: headers, body: data, credentials: "same-origin"
      }).then(function (r) {
        return r.json().then(function (j) { return { status: r.status, json: j }; });
      });
    }

    function previewed(button) {
      call("/api/v1/preview", JSON.stringify({ body: body.value }), {}).then(function (r) {
        if (r.status !== 200) return plain(button);
        out.innerHTML = r.json.html;
        out.hidden = false;
        say("");
      }, function () { say(form.dataset.offline); });
    }

    function reply() {
      var data = { body: body.value }, to = form.elements.reply_to, lang = form.elements.language;
      if (to && to.value) data.reply_to = +to.value;
      if (lang && lang.value) data.language = lang.value;
      data = JSON.stringify(data);
      if (data !== sent) { sent = data; id = key(); } // the same text again: the same key
      busy = true;
      call(form.dataset.api, data, { "Idempotency-Key": id }).then(function (r) {
        if (r.status >= 400 && r.status < 500) return plain();
        if (r.status !== 201) return say(form.dataset.offline);
        if (r.json.pending) return location.reload(); // held: the page says so, marked
        var a = show(r.json, true) || document.getElementById("post-" + r.json.id);
        body.value = "";
        if (to) to.value = "";
        if (out) out.hidden = true;
        sent = null;
        say(form.dataset.sent);
        if (a) a.scrollIntoView({ block: "nearest" });
      }, function () { say(form.dataset.offline); }).finally(function () { busy = false; });
    }

    form.addEventListener("submit", function (e) {
      if (form.dataset.plain) return;
      var button = e.submitter;
      if (button && button.name === "preview" && out) {
        e.preventDefault();
        previewed(button);
      } else if (form.dataset.api && !document.querySelector("a[rel=next]")) {
        e.preventDefault(); // on an earlier page, the server takes the reader to the post
        if (!busy) reply();
      }
    });
  }

  document.querySelectorAll("form.markdown").forEach(enhance);
  // Locked: the reply form goes for those the lock shuts out. Unlocked: the reader is
  // told to reload for the form (it is the page's to render, with its fresh form key).
  function lockedNow(locked) {
    var area = document.getElementById("reply-area"), note = document.getElementById("locked");
    if (!note) return;
    if (locked) {
      if (area && area.hasAttribute("data-locks")) { drop(area); note.hidden = false; }
    } else if (!note.hidden && !area) {
      note.textContent = note.dataset.unlocked;
    }
  }

  // Split or merged: posts left this page or joined it; the reader is told, with a link
  // to reload it or to the thread the event is about.
  function changed(type, id) {
    var note = document.getElementById("changed");
    if (!note) return;
    var here = String(id) === posts.dataset.liveThread, link = $(note, "a");
    $(note, "span").textContent = note.dataset[type === "thread.split" ? "split" : "merged"];
    link.textContent = here ? note.dataset.reload : note.dataset.other;
    link.href = "/threads/" + id;
    note.hidden = false;
  }

  if (posts && posts.dataset.liveThread) {
    live("thread:" + posts.dataset.liveThread, posts.dataset.liveSince, function (msg) {
      var p = msg.data && msg.data.post, t = msg.data && msg.data.thread;
      if (p) show(p, msg.type === "post.created");
      if (t && !p) {
        if (msg.type === "thread.split" || msg.type === "thread.merged") changed(msg.type, t.id);
        else lockedNow(t.locked);
      }
    });
  }

  // A post's revisions page: an edit or a redaction of that post (another moderator's,
  // the author's) reloads it, so no one reads or redacts a version as it no longer is.
  var versions = document.getElementById("revisions");
  if (versions && versions.dataset.liveThread) {
    live("thread:" + versions.dataset.liveThread, versions.dataset.liveSince, function (msg) {
      var p = msg.data && msg.data.post;
      if (p && String(p.id) === versions.dataset.liveRevisions &&
          /^post\.(edited|revision_redacted|deleted|restored)$/.test(msg.type)) location.reload();
    });
  }

  // A region's queue of posts awaiting approval: a post held while it is open is said
  // to be there (the event carries ids only; the page, reloaded, shows it to edit).
  var heldLive = document.getElementById("held-live");
  if (heldLive && heldLive.dataset.liveQueue) {
    live("mod:" + heldLive.dataset.liveQueue, heldLive.dataset.liveSince, function (msg) {
      if (msg.type === "approval.held") heldLive.hidden = false;
    });
  }

  // A region's queue of reported posts: a row for each case opened while it is open,
  // from the page's <template> (the event carries ids only).
  var cases = document.getElementById("cases");
  if (cases && cases.dataset.liveQueue) {
    live("mod:" + cases.dataset.liveQueue, cases.dataset.liveSince, function (msg) {
      var d = msg.data;
      if (msg.type !== "flag.case_opened" || !d || document.getElementById("case-" + d.case_id)) return;
      var row = document.getElementById("case-row").content.firstElementChild.cloneNode(true);
      row.id = "case-" + d.case_id;
      row.querySelectorAll("a").forEach(function (l) {
        l.href = l.getAttribute("href").split("{case}").join(d.case_id).split("{post}").join(d.post_id);
        l.textContent = l.textContent.split("{case}").join(d.case_id);
      });
      $(cases, "tbody").appendChild(row);
      cases.hidden = false;
      drop(document.getElementById("no-cases"));
    });
  }

  // The unread count in the header: anything on the member's own channel (a
  // notification, one read on another page) asks the API for the count they may see now.
  var unread = document.getElementById("notification-count");
  if (unread && unread.dataset.liveUser) {
    var count = $(unread, ".count");
    var recount = function () {
      fetch("/api/v1/notifications/count", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (!d) return;
          count.textContent = d.unread > 99 ? "99+" : d.unread ? String(d.unread) : "";
          count.hidden = !d.unread;
        }).catch(function () { /* the next page shows it */ });
    };
    if (unread.dataset.unknown) recount(); // a page that did not count (a thread's)
    live("user:" + unread.dataset.liveUser, null, recount);
  }
})();
