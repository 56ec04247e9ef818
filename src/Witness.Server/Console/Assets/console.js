// Witness console: progressive enhancement only. Every page works without this file; it never
// reads or writes event content.
(function () {
  "use strict";

  // Filter menus apply as soon as they change. "Custom range" waits for its dates.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement) || !field.hasAttribute("data-autosubmit") || !field.form) {
      return;
    }
    if (field.name === "range" && field.value === "custom") {
      var from = field.form.querySelector("input[name=from]");
      if (from) { from.focus(); }
      return;
    }
    field.form.requestSubmit();
  });

  // Escape closes the details panel.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var close = document.querySelector("[data-drawer-close]");
    if (close) { window.location.assign(close.getAttribute("href")); }
  });

  // A click outside an open menu closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });

  // The whole row opens the details, not only the arrow; links inside the row keep working.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || target.closest("a, button, input, select, label")) { return; }
    var row = target.closest("tr.row");
    var open = row && row.querySelector("a.row-open");
    if (open && !window.getSelection().toString()) { window.location.assign(open.getAttribute("href")); }
  });
})();
