// Small glue HTMX cannot do by itself: the CSRF header and the mobile menu.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("mainnav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
});

// The Content-Security-Policy forbids style="" attributes, so computed sizes and positions
// (progress bars, the weekly grid) arrive as data-style="prop: value; ..." and are set here
// through the CSSOM, which the policy allows. htmx.onLoad covers the page and every swap.
function applyDataStyles(root) {
  var nodes = root.querySelectorAll ? root.querySelectorAll("[data-style]") : [];
  var all = root.hasAttribute && root.hasAttribute("data-style") ? [root].concat(Array.from(nodes)) : Array.from(nodes);
  all.forEach(function (el) {
    el.getAttribute("data-style").split(";").forEach(function (declaration) {
      var colon = declaration.indexOf(":");
      if (colon > 0) { el.style.setProperty(declaration.slice(0, colon).trim(), declaration.slice(colon + 1).trim()); }
    });
  });
}
if (window.htmx) { htmx.onLoad(applyDataStyles); }
else { document.addEventListener("DOMContentLoaded", function () { applyDataStyles(document.body); }); }

// Print buttons (no onclick="" attributes under the CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) { window.print(); }
});
