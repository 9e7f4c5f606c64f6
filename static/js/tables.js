// Wide tables scroll inside their own region, never the whole page: each table sits in a
// labelled region (its caption, or the heading before it) that takes keyboard focus only while
// it actually scrolls, so keyboard users can scroll it too. Tables marked "stack" become cards
// on phones instead (see app.css) and need no scrolling.
(function () {
  function labelFor(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    if (table.getAttribute("aria-label")) { return table.getAttribute("aria-label"); }
    for (var el = table.parentElement; el && el !== document.body; el = el.parentElement) {
      var heading = el.querySelector("h1, h2, h3");
      if (heading && heading.textContent.trim()) { return heading.textContent.trim(); }
    }
    return "Table";
  }

  function sync(region) {
    if (region.scrollWidth > region.clientWidth + 1) {
      region.setAttribute("tabindex", "0");
    } else {
      region.removeAttribute("tabindex");
    }
  }

  function wrap(root) {
    if (!root || !root.querySelectorAll) { return; }
    var tables = root.matches && root.matches("table.table") ? [root] : root.querySelectorAll("table.table");
    Array.prototype.forEach.call(tables, function (table) {
      var region = table.parentElement;
      if (!region) { return; }
      if (!region.classList.contains("table-scroll")) {
        region = document.createElement("div");
        region.className = "table-scroll";
        table.parentElement.insertBefore(region, table);
        region.appendChild(table);
      }
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", labelFor(table));
      sync(region);
    });
  }

  function syncAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), sync);
  }

  var timer = null;
  document.addEventListener("DOMContentLoaded", function () { wrap(document.body); });
  document.addEventListener("htmx:afterSettle", function (event) {
    wrap(event.detail && event.detail.elt && event.detail.elt.parentElement ? event.detail.elt.parentElement : document.body);
    syncAll();
  });
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(syncAll, 150);
  });
})();
