// The subject picker's filter for "other offered subjects": by code or title, and by day.
// Without JavaScript the filter stays hidden and every subject is listed.
(function () {
  function squash(text) { return (text || "").toLowerCase().replace(/\s+/g, ""); }

  function apply() {
    var text = document.getElementById("subject-filter-text");
    var day = document.getElementById("subject-filter-day");
    var list = document.getElementById("other-subject-list");
    if (!text || !day || !list) { return; }
    var query = squash(text.value);
    var wanted = day.value;
    var cards = list.querySelectorAll(".subject-card");
    var shown = 0;
    Array.prototype.forEach.call(cards, function (card) {
      var days = " " + (card.getAttribute("data-days") || "") + " ";
      var ok = (!query || squash(card.getAttribute("data-search")).indexOf(query) !== -1) &&
               (!wanted || days.indexOf(" " + wanted + " ") !== -1);
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var count = document.getElementById("subject-filter-count");
    if (count) {
      count.textContent = (query || wanted) ? "Showing " + shown + " of " + cards.length + " subjects." : "";
    }
  }

  function onInput(event) {
    if (event.target.matches && event.target.matches("[data-subject-filter]")) { apply(); }
  }

  document.addEventListener("input", onInput);
  document.addEventListener("change", onInput);
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("DOMContentLoaded", function () {
    var filter = document.querySelector(".subject-filter");
    if (filter) { filter.hidden = false; }
    apply();
  });
})();
