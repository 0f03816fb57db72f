// The console's progressive layer: the CSRF header on htmx requests, Chart.js drawings of each chart's
// data (the figures are in the table beside it), and the live feed's state: how long after the journal
// entry each one arrived (window.corridorConsole.lags, in milliseconds). Nothing here computes a figure.
(function () {
  "use strict";
  var state = { lags: [], transitions: 0, connected: false, opened: 0 };
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

  function onTransition(event) {
    var pattern = /data-at="(\d+)"/g, found, now = Date.now(), lag = null;
    while ((found = pattern.exec(event.data || "")) !== null) {
      lag = now - Number(found[1]);
      state.transitions += 1;
      state.lags.push(lag);
    }
    if (state.lags.length > 20000) state.lags.splice(0, state.lags.length - 20000);
    if (lag !== null) status("live · latest journal entry shown " + lag + " ms after it was written", true);
    window.setTimeout(trimFeed, 0);
  }

  function trimFeed() {
    document.querySelectorAll("tbody#feed").forEach(function (body) {
      // The stream starts where the page's figures stood when it was built: an entry journalled while the
      // page loaded can arrive once in the page and once on the stream; keep one row per journal entry.
      var seen = {};
      Array.prototype.slice.call(body.rows).forEach(function (row) {
        var seq = row.getAttribute("data-seq");
        if (seq === null) return;
        if (seen[seq]) body.removeChild(row); else seen[seq] = true;
      });
      while (body.rows.length > FEED_ROWS) body.deleteRow(body.rows.length - 1);
    });
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
