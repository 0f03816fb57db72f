// The console's progressive layer: the CSRF header on htmx requests, Chart.js drawings of each chart's
// data (the figures are in the table beside it), and the live feed's state: how long after the journal
// entry each one arrived (window.corridorConsole.lags, in milliseconds, from the entry's stamp; and
// committedLags, from its commit at the earliest: a batch's entries are stamped as written and commit
// together at the batch's end, and a row's data-committed-after is a time its commit came after: when
// its transaction was about to commit, or when the stream's previous read, which did not see it, began).
// Nothing here computes a figure.
(function () {
  "use strict";
  var state = { lags: [], committedLags: [], transitions: 0, connected: false, opened: 0 };
  window.corridorConsole = state;

  function csrf() {
    return document.body ? document.body.getAttribute("data-csrf") : null;
  }

  function drawCharts(root) {
    if (typeof Chart === "undefined") return;
    var scripts = (root || document).querySelectorAll("script[data-chart-for]");
    scripts.forEach(function (script) {
      var canvas = document.getElementById(script.getAttribute("data-chart-for"));
      if (!canvas) return;
      var config;
      try { config = JSON.parse(script.textContent); } catch (e) { return; }
      var existing = Chart.getChart(canvas);
      if (existing) existing.destroy();
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
      new Chart(canvas, config);
    });
  }

  function status(text, live) {
    var holder = document.querySelector("[data-live-text]");
    if (holder) holder.textContent = text;
    var box = document.querySelector(".live .status");
    if (box) box.classList.toggle("on", !!live);
  }

  var FEED_ROWS = 30;  // the feed keeps its latest rows only (pages.py FEED_ROWS): a page open all day stays light
  var STATUS_EVERY_MS = 1000;  // the status line's lag is rewritten at most this often
  var statusAt = 0;
  var parser = document.createElement("template");  // reused: parses each event's rows, inert (no script runs)

  // One live event carries the newest rows of what one wake-up of the stream read, newest first. They go
  // into every live feed (tbody[data-live-feed]) in one DOM update: parsed inert in a <template>, merged
  // with the rows shown, newest journal position first, the rows past FEED_ROWS dropped. One update, not
  // htmx's swap and settle, and no trimming after it: under load this was most of the browser's work.
  // The stream starts where the page's figures stood when it was built, so an entry journalled while the
  // page loaded can arrive once in the page and once on the stream: one row per journal entry is kept.
  function onTransition(event) {
    parser.innerHTML = event.data || "";
    var incoming = Array.prototype.filter.call(parser.content.children, function (row) { return row.hasAttribute("data-seq"); });
    parser.innerHTML = "";
    var now = Date.now(), lag = null;
    incoming.forEach(function (row) {
      var at = Number(row.getAttribute("data-at"));
      lag = now - at;
      state.transitions += 1;
      state.lags.push(lag);
      state.committedLags.push(now - Math.max(at, Number(row.getAttribute("data-committed-after") || 0)));
    });
    [state.lags, state.committedLags].forEach(function (lags) { if (lags.length > 20000) lags.splice(0, lags.length - 20000); });
    document.querySelectorAll("tbody[data-live-feed]").forEach(function (body, i) {
      showRows(body, i === 0 ? incoming : incoming.map(function (row) { return row.cloneNode(true); }));
    });
    if (lag !== null && now - statusAt >= STATUS_EVERY_MS) {
      statusAt = now;
      status("live · latest journal entry shown " + lag + " ms after it was written", true);
    }
  }

  function showRows(body, incoming) {
    var candidates = incoming.concat(Array.prototype.slice.call(body.rows)).filter(function (row) { return row.hasAttribute("data-seq"); });
    candidates.sort(function (a, b) { return Number(b.getAttribute("data-seq")) - Number(a.getAttribute("data-seq")); });  // stable: an arriving copy first
    var seen = {}, rows = [];
    candidates.forEach(function (row) {
      var seq = row.getAttribute("data-seq");
      if (rows.length < FEED_ROWS && !seen[seq]) {
        seen[seq] = true;
        rows.push(row);
      }
    });
    body.replaceChildren.apply(body, rows);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrf();
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });
  document.addEventListener("htmx:sseOpen", function (event) {
    var source = event.detail && event.detail.source;
    state.connected = true;
    state.opened += 1;
    status("live · connected", true);
    if (source && !source.corridorWatched) {
      source.corridorWatched = true;
      source.addEventListener("transition", onTransition);
      source.addEventListener("session-expired", function (e) { window.location.assign(e.data || "/console/login"); });
    }
  });
  document.addEventListener("htmx:sseError", function () {
    state.connected = false;
    status("reconnecting to the live feed…", false);
  });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
})();
