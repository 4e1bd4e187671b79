// The one script: dates in the reader's own time zone on every page, and live updates
// for a thread page over /ws (DESIGN.md, "Realtime protocol"). Pages work without it;
// it adds new posts, edits, deletions and a reader count. Its words come translated
// from the page (`data-words` on the posts).
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
  if (!posts || !window.WebSocket) return;
  var words = JSON.parse(posts.dataset.words || "{}");
  var channel = "thread:" + posts.dataset.liveThread;
  // The event cursor the page was rendered at: resuming from it misses nothing.
  var since = posts.dataset.liveSince || null;
  var presence = document.getElementById("presence");
  var ws = null, timer = null, delay = 1000;

  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text) n.textContent = text;
    return n;
  }

  // The same markup as templates/thread.html. Only body_html (sanitised by the server)
  // is inserted as HTML; everything else is text.
  function render(p) {
    var a = node("article", "post"), m = node("div", "meta"), t = node("time"), b;
    a.id = "post-" + p.id;
    t.dateTime = p.created_at;
    t.textContent = p.created_at;
    localTime(t);
    m.append("#" + p.position + " · " + p.author.name + " · ", t);
    if (p.edited_at) m.append(" · " + words.edited);
    if (p.reply_to) {
      var r = node("a", "", words.reply_to);
      r.href = "#post-" + p.reply_to;
      m.append(" · ", r);
    }
    if (p.deleted) b = node("p", "gone", words.deleted);
    else if (p.body_html == null) b = node("p", "gone", words.hidden);
    else { b = node("div", "body"); b.innerHTML = p.body_html; }
    a.append(m, b);
    return a;
  }

  function apply(msg) {
    var p = msg.data && msg.data.post;
    if (msg.channel !== channel || !p) return;
    var old = document.getElementById("post-" + p.id);
    if (old) {
      old.replaceWith(render(p));
    } else if (msg.type === "post.created" && !document.querySelector("a[rel=next]")) {
      var a = render(p);
      a.classList.add("fresh");
      posts.append(a);
    }
  }

  function reload() {
    try { // at most one reload in 30 s: a loop would be costly on a slow link
      if (Date.now() - (+sessionStorage.getItem("live-reload") || 0) < 30000) return;
      sessionStorage.setItem("live-reload", Date.now());
    } catch (e) { /* no storage: reload anyway */ }
    location.reload();
  }

  function receive(e) {
    var msg = JSON.parse(e.data);
    if (msg.op === "event") {
      since = msg.id;
      apply(msg);
    } else if (msg.op === "presence" && msg.channel === channel && presence) {
      presence.textContent = words.reading + " " + msg.count;
      presence.hidden = false;
    } else if (msg.op === "subscribed") {
      delay = 1000;
    } else if (msg.op === "resync") {
      reload();
    } else if (msg.op === "error" && msg.channel === channel) {
      // This reader may not read the thread now (logged out, a region closed to
      // visitors, the thread hidden): the page shows what they may see instead.
      reload();
    } else if (msg.op === "error" && msg.retry_after) {
      // Too many requests for missed events: nothing was joined; ask again later.
      var s = ws;
      setTimeout(function () { if (ws === s) subscribe(s); }, msg.retry_after * 1000);
    }
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
})();
