// Official papers and costly actions. No inline handlers (the Content-Security-Policy forbids
// them): buttons say what they do with data attributes, this file listens.
(function () {
  "use strict";

  // [data-print]: print the page (each paper brings its own print stylesheet).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });
})();
