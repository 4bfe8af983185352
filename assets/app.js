// The few things a page does in the browser, served as a file (the CSP allows scripts from
// 'self' only, never inline). Every page works without it.
(function () {
  "use strict";

  // Narrow screens show table rows as cards: each cell is labelled with its column's
  // heading (cells labelled by the server keep their own label).
  function labelCells() {
    document.querySelectorAll("table.list, table.rows").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) return;
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var col = 0;
        Array.prototype.forEach.call(tr.children, function (cell) {
          var head = heads[col];
          if (head && !cell.hasAttribute("data-label")) {
            var text = head.textContent.trim();
            if (text) cell.setAttribute("data-label", text);
          }
          col += cell.colSpan || 1;
        });
      });
    });
  }

  // A live count beside each field with a length limit: "123 / 2,000".
  function counters() {
    document.querySelectorAll("textarea[maxlength], input[maxlength]").forEach(function (el) {
      var max = parseInt(el.getAttribute("maxlength"), 10);
      if (!(max > 0) || el.type === "hidden") return;
      var field = el.closest(".field");
      var hint = field && field.querySelector(".hint.limit");
      if (!hint) return;
      var out = document.createElement("span");
      out.className = "count";
      out.setAttribute("aria-live", "polite");
      hint.appendChild(document.createTextNode(" · "));
      hint.appendChild(out);
      var fmt = typeof Intl !== "undefined" ? new Intl.NumberFormat() : null;
      function show() {
        var n = Array.from(el.value).length;
        out.textContent = (fmt ? fmt.format(n) : n) + " / " + (fmt ? fmt.format(max) : max);
        out.classList.toggle("warning", n >= max * 0.9);
      }
      el.addEventListener("input", show);
      show();
    });
  }

  // A page of several forms (the proposal's sections): leaving it, or saving one section,
  // while another form holds unsaved changes asks first.
  function unsavedWarning() {
    var forms = Array.prototype.filter.call(document.querySelectorAll("form[method=post]"), function (f) {
      return f.querySelector("textarea, input:not([type=hidden]):not([type=submit]), select");
    });
    if (!forms.length) return;
    var dirty = new Set();
    var leaving = null;
    forms.forEach(function (f) {
      // A form shown again with rows added or removed holds what is not saved yet.
      if (f.hasAttribute("data-unsaved")) dirty.add(f);
      f.addEventListener("input", function () { dirty.add(f); });
      f.addEventListener("change", function () { dirty.add(f); });
      f.addEventListener("submit", function () { leaving = f; });
    });
    window.addEventListener("beforeunload", function (e) {
      var others = Array.from(dirty).filter(function (f) { return f !== leaving; });
      leaving = null;
      if (others.length) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
  }

  function start() {
    labelCells();
    counters();
    unsavedWarning();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
