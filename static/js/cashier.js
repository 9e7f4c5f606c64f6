// Cashier terminal keyboard glue: arrows move through the hits, Enter opens the highlighted
// (or first) one even if the search is still on its way, Escape goes back to the search box,
// and the reference number is only asked for when the method needs one.
(function () {
  "use strict";
  var pickWhenLoaded = false;

  function input() { return document.getElementById("student-search"); }
  function options() { return Array.prototype.slice.call(document.querySelectorAll("#search-listbox li[role=option] a")); }
  function activeIndex(list) {
    for (var i = 0; i < list.length; i++) { if (list[i].parentNode.classList.contains("active")) { return i; } }
    return list.length ? 0 : -1;
  }
  function highlight(index) {
    var list = options();
    list.forEach(function (a, i) {
      var on = i === index;
      a.parentNode.classList.toggle("active", on);
      a.parentNode.setAttribute("aria-selected", on ? "true" : "false");
      if (on) { input().setAttribute("aria-activedescendant", a.parentNode.id); a.parentNode.scrollIntoView({block: "nearest"}); }
    });
  }
  function openHit() {
    var list = options();
    var i = activeIndex(list);
    if (i >= 0) { list[i].click(); return true; }
    return false;
  }
  function resultsAreFresh() {
    var box = document.getElementById("search-listbox");
    return box && box.getAttribute("data-q") === input().value.trim();
  }

  document.addEventListener("keydown", function (event) {
    var box = input();
    if (!box) { return; }
    if (event.target === box) {
      var list = options();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.length) { return; }
        var i = activeIndex(list) + (event.key === "ArrowDown" ? 1 : -1);
        highlight(Math.max(0, Math.min(list.length - 1, i)));
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (!box.value.trim()) { return; }
        if (resultsAreFresh() && openHit()) { return; }
        pickWhenLoaded = true;           // the hits for what was typed are not here yet
        htmx.trigger(box, "search");
      }
    } else if (event.key === "Escape" && !event.target.closest("dialog")) {
      box.focus();
      box.select();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "search-results") {
      var expanded = options().length > 0;
      input().setAttribute("aria-expanded", expanded ? "true" : "false");
    }
    if (target.id === "student-panel") {
      var results = document.getElementById("search-results");
      if (results) { results.innerHTML = ""; }
      input().setAttribute("aria-expanded", "false");
    }
    syncReference(document);
  });

  // An Enter that came before its hits opens the first one once htmx has processed the new
  // links (at settle, not at swap): clicked earlier, a link would load the whole page instead.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id === "search-results" && pickWhenLoaded && resultsAreFresh()) {
      pickWhenLoaded = false;
      openHit();
    }
  });

  // The reference number matters only for non-cash methods.
  function syncReference(root) {
    var method = root.querySelector("#payment-form select[name=method]");
    var ref = root.querySelector("#payment-form input[name=reference_number]");
    if (!method || !ref) { return; }
    var field = ref.closest(".field");
    var cash = method.value === "CASH";
    field.hidden = cash;  // an error about a missing reference no longer applies to cash
    ref.required = !cash;
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("#payment-form select[name=method]")) {
      syncReference(document);
      var ref = document.querySelector("#payment-form input[name=reference_number]");
      if (ref && !ref.closest(".field").hidden) { ref.focus(); }
    }
  });
  document.addEventListener("DOMContentLoaded", function () { syncReference(document); });
})();
