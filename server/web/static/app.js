// golive hub: the one script. It follows a running run's progress over
// Server-Sent Events and reloads the page when the run ends. Text goes in
// with textContent only: item titles come from checklists and targets.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource) { return; }
  var bar = document.getElementById("live-bar");
  var count = document.getElementById("live-count");
  var list = document.getElementById("live-items");
  var state = document.getElementById("run-state");
  var es = new EventSource(live.getAttribute("data-events"));
  function progress(done, total) {
    if (total > 0) { bar.style.width = Math.round(100 * done / total) + "%"; }
    count.textContent = done + " of " + total + " items done";
  }
  es.addEventListener("started", function (e) {
    var ev = JSON.parse(e.data);
    state.textContent = "running";
    progress(0, ev.total);
  });
  es.addEventListener("item", function (e) {
    var ev = JSON.parse(e.data);
    state.textContent = "running";
    progress(ev.done, ev.total);
    var li = document.createElement("li");
    li.className = "item-" + ev.status;
    li.textContent = ev.status.toUpperCase() + " " + ev.api + " " + ev.item + " " + (ev.title || "");
    list.insertBefore(li, list.firstChild);
  });
  es.addEventListener("done", function (e) {
    var ev = JSON.parse(e.data);
    es.close();
    state.textContent = ev.state;
    count.textContent = "Finished: " + (ev.verdict || ev.state) + (ev.message ? " (" + ev.message + ")" : "");
    window.setTimeout(function () { window.location.reload(); }, 300);
  });
});

// A live UAT session: cases played, problems and exchanges as they come;
// the page reloads once the session is graded and stored.
document.addEventListener("DOMContentLoaded", function () {
  var live = document.getElementById("uat-live");
  if (!live || !window.EventSource) { return; }
  var bar = document.getElementById("uat-bar");
  var count = document.getElementById("uat-count");
  var lines = document.getElementById("uat-lines");
  var state = document.getElementById("uat-state");
  var es = new EventSource(live.getAttribute("data-events"));
  es.addEventListener("progress", function (e) {
    var ev = JSON.parse(e.data);
    if (ev.casesTotal > 0) { bar.style.width = Math.round(100 * ev.casesSeen / ev.casesTotal) + "%"; }
    count.textContent = ev.casesSeen + " of " + ev.casesTotal + " cases played, " + ev.problems + " problems, " +
      ev.exchanges + " exchanges";
    if (ev.event === "case" || ev.event === "problem") {
      var li = document.createElement("li");
      li.className = ev.event === "problem" ? "item-fail" : "item-pass";
      li.textContent = (ev.event === "problem" ? "PROBLEM " : "CASE ") + (ev.message || ev["case"] || "");
      lines.insertBefore(li, lines.firstChild);
    }
  });
  es.addEventListener("done", function (e) {
    var ev = JSON.parse(e.data);
    es.close();
    state.textContent = ev.state;
    count.textContent = "Ended: " + (ev.verdict || ev.state) + (ev.message ? " (" + ev.message + ")" : "");
    // The session's own page (the page that opened it answered a POST).
    var page = live.getAttribute("data-events").replace(/\/events$/, "");
    window.setTimeout(function () { window.location.assign(page); }, 300);
  });
});
