// golive report: progressive enhancement only. Without JS every row and
// every failure is still shown; JS adds the checklist filters, copy buttons
// and opens all evidence before printing.
(function () {
  "use strict";

  // Checklist filters: a row shows when it matches every chosen value.
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#checklist tbody tr.item"));
  var count = document.getElementById("filter-count");
  var keys = ["status", "severity", "category"];

  function applyFilters() {
    var shown = 0;
    rows.forEach(function (row) {
      var match = keys.every(function (k) {
        var want = form.elements[k].value;
        if (k === "status" && want === "problems") {
          return row.dataset.status === "fail" || row.dataset.status === "error";
        }
        return want === "" || row.dataset[k] === want;
      });
      row.hidden = !match;
      if (match) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " items";
    count.dataset.visible = String(shown);
  }

  if (form && count) {
    form.hidden = false;
    form.addEventListener("change", applyFilters);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    // "reset" fires before the fields change back (to failures only).
    form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
    // Passes are one click away: every filter to "all".
    var all = document.getElementById("filter-all");
    if (all) {
      all.addEventListener("click", function () {
        keys.forEach(function (k) { form.elements[k].value = ""; });
        applyFilters();
      });
    }
    applyFilters();
  }

  // Copy buttons for curl lines. file:// is a secure context in current
  // browsers, so the Clipboard API works; older ones fall back to a selection.
  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text, done); });
      return;
    }
    fallbackCopy(text, done);
  }

  function fallbackCopy(text, done) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
    document.body.removeChild(area);
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (btn) {
    var source = document.getElementById(btn.dataset.copyTarget);
    if (!source) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      copyText(source.textContent, function () {
        btn.textContent = "Copied";
        btn.dataset.copied = "true";
        setTimeout(function () { btn.textContent = "Copy"; delete btn.dataset.copied; }, 1500);
      });
    });
  });

  // Printing: show every piece of evidence, then restore what the reader had.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
