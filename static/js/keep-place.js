// HTMX swaps keep the person's place: the page never jumps to the top, and when a swap brings
// an error or a warning, that message is scrolled into view and focused so it is seen and read
// (on a phone the message may be far from the button that was pressed). Polling swaps
// (hx-trigger "every …") never move the focus.
(function () {
  var MESSAGE = ".flash-error, .flash-warning, .refusal, .field-error";
  var found = null;

  function fromPolling(detail) {
    var elt = detail && detail.requestConfig && detail.requestConfig.elt;
    var trigger = elt && elt.getAttribute && elt.getAttribute("hx-trigger");
    return Boolean(trigger && trigger.indexOf("every") !== -1 && !(detail.requestConfig.triggeringEvent));
  }

  function firstMessage(root) {
    if (!root || !root.querySelector) { return null; }
    if (root.matches && root.matches(MESSAGE)) { return root; }
    return root.querySelector(MESSAGE);
  }

  function remember(event) {
    if (found || fromPolling(event.detail)) { return; }
    found = firstMessage(event.detail.target || event.target);
  }

  document.addEventListener("htmx:afterSwap", remember);
  document.addEventListener("htmx:oobAfterSwap", remember);
  document.addEventListener("htmx:afterSettle", function () {
    var message = found;
    found = null;
    if (!message || !document.body.contains(message)) { return; }
    if (!message.hasAttribute("tabindex")) { message.setAttribute("tabindex", "-1"); }
    message.focus({ preventScroll: true });
    var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    message.scrollIntoView({ block: "center", behavior: calm ? "auto" : "smooth" });
  });
})();
