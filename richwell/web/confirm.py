"""Confirmation of irreversible or costly actions (drop a subject, submit a grade sheet,
finalize grades, reverse a payment, make a term current, deactivate an account).

The form carries `data-confirm-*` attributes (the `confirm_attrs` template global): with
JavaScript, static/js/papers.js opens a <dialog> stating the consequence and, on "confirm",
posts the form with the `confirm` token. The server refuses a post without that token and
answers the confirmation page instead (the no-JS path: the same words and a form that
re-posts what was sent, with the token). The token is bound to the user's session identity,
the action and its target, so a replayed or forged one-click post does nothing.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape

from richwell.web.htmx import is_partial_request, refusal

FIELD = "confirm"


@dataclass(frozen=True)
class Confirmable:
    """What the dialog and the fallback page say: a title, the consequence, the button."""

    title: str
    consequence: str
    button: str


#: The actions that ask first, with their words ({placeholders} filled from the target's names).
ACTIONS: dict[str, Confirmable] = {
    "drop": Confirmable("Drop {code}?", "{code} is removed from this term's subjects and its seat goes to "
                        "someone else. Enrolling again later is subject to the rules of that day.",
                        "Drop {code}"),
    "grades.submit": Confirmable("Submit these grades?", "After submitting you can no longer edit the "
                                 "grades of {code}; only the registrar can reopen the sheet.",
                                 "Submit for finalization"),
    "grades.finalize": Confirmable("Finalize these grades?", "Finalizing posts the grades of {what}: "
                                   "statuses follow the grade, INC starts its clock and students are "
                                   "notified. Changes later need a change request.", "Finalize"),
    "payment.reverse": Confirmable("Reverse receipt {receipt}?", "The payment of {amount} is voided: the "
                                   "months it paid become unpaid again, permits may be revoked and the "
                                   "student is notified. A reversal cannot be undone.", "Reverse payment"),
    "term.make_current": Confirmable("Make {term} the current term?", "Every page and job switches to "
                                     "{term} at once; {current} stops being the current term.",
                                     "Make {term} current"),
    "account.deactivate": Confirmable("Deactivate {name}?", "{name} is signed out everywhere at once and "
                                      "can no longer sign in or use API tokens until reactivated.",
                                      "Deactivate {name}"),
}


def token(action: str, target: object) -> str:
    """The confirmation token of `action` on `target` for the signed-in user."""
    user = current_user.get_id() if current_user and current_user.is_authenticated else "-"
    message = f"{user}|{action}|{target}".encode()
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"confirm|" + message, hashlib.sha256).hexdigest()[:40]


def words(action: str, **names: object) -> Confirmable:
    spec = ACTIONS[action]
    return Confirmable(spec.title.format(**names), spec.consequence.format(**names), spec.button.format(**names))


def attrs(action: str, target: object, **names: object) -> Markup:
    """The form's data attributes that make it ask first (the dialog's words and its token)."""
    said = words(action, **names)
    return Markup(" ").join(Markup(f'{key}="{escape(value)}"') for key, value in (
        ("data-confirm", token(action, target)), ("data-confirm-title", said.title),
        ("data-confirm-text", said.consequence), ("data-confirm-button", said.button)))


def confirmed(action: str, target: object) -> bool:
    """Whether this post carries the right token."""
    return hmac.compare_digest(str(request.form.get(FIELD, "")), token(action, target))


def ask(action: str, target: object, back_url: str, **names: object):
    """The answer to a post without the token: nothing was done. A page asks again with the
    same words and the form (re-posting what was sent, with the token); an HTMX request gets
    a refusal to swap."""
    said = words(action, **names)
    if is_partial_request():
        return refusal(f"{said.title} Confirm in the dialog first; nothing was changed.", 400)
    fields = [(k, v) for k, values in request.form.lists() for v in values if k not in (FIELD, "csrf_token")]
    return render_template("confirm.html", said=said, fields=fields, action_url=request.path,
                           confirm_token=token(action, target), back_url=back_url), 400


def register(app) -> None:
    app.add_template_global(attrs, "confirm_attrs")
