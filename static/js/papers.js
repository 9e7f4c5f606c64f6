// Official papers and costly actions. No inline handlers (the Content-Security-Policy forbids
// them): elements say what they do with data attributes, this file listens.
(function () {
  "use strict";

  // [data-print]: print the page (each paper brings its own print stylesheet).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });

  // form[data-confirm]: ask first. A native <dialog> states the consequence (title, text,
  // button from data-confirm-*); "confirm" posts the form with the token in data-confirm,
  // which the server requires. Escape or "Cancel" closes it and nothing is sent. Without
  // JavaScript the server answers a confirmation page instead (richwell/web/confirm.py).
  var dialog, title, text, ok, pending = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-text");
    title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    text = document.createElement("p");
    text.id = "confirm-dialog-text";
    var actions = document.createElement("div");
    actions.className = "confirm-actions";
    ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn-danger";
    ok.id = "confirm-dialog-ok";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn";
    cancel.id = "confirm-dialog-cancel";
    cancel.textContent = "Cancel";
    actions.append(ok, cancel);
    dialog.append(title, text, actions);
    document.body.append(dialog);
    cancel.addEventListener("click", function () { dialog.close("cancel"); });
    ok.addEventListener("click", function () {
      var form = pending && pending.form;
      if (!form) { dialog.close(); return; }
      var input = form.querySelector("input[name='confirm']");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "confirm";
        form.append(input);
      }
      input.value = form.dataset.confirm;
      form.dataset.confirmed = "1";
      var submitter = pending.submitter;
      pending = null;
      dialog.close("confirm");
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
    });
    dialog.addEventListener("close", function () {
      // "close" arrives a task after close(): if the form was asked again in between (a quick
      // Escape then Enter), the dialog is open for that new ask, which this must not forget.
      if (dialog.open) { return; }
      if (pending && pending.submitter && document.contains(pending.submitter)) { pending.submitter.focus(); }
      pending = null;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    // Capture phase: stop the post (and HTMX's listener on the form) until the person confirms.
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!form.reportValidity()) { return; }
    if (!dialog) { build(); }
    pending = { form: form, submitter: event.submitter || null };
    title.textContent = form.dataset.confirmTitle || "Are you sure?";
    text.textContent = form.dataset.confirmText || "";
    ok.textContent = form.dataset.confirmButton || "Confirm";
    dialog.showModal();
    dialog.querySelector("#confirm-dialog-cancel").focus();
  }, true);
})();
