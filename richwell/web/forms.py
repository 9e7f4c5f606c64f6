"""Shared form bits: the one text rule on every form and search box, and mapping domain
errors onto fields."""
from __future__ import annotations

from flask import g, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from richwell.services.platform import text
from richwell.services.platform.errors import DomainError


class PortalForm(FlaskForm):
    """Every form of the portal: besides its own validators, no text field may carry a NUL or
    another control character (the shared rule in `platform/text.py`); the message lands at
    the field and nothing reaches a service."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            data = field.data
            if isinstance(data, str) and text.control_character_in(data) is not None:
                field.errors = [*field.errors, text.control_character_message(_label(field))]
                valid = False
        return valid


def _label(field) -> str:
    label = getattr(getattr(field, "label", None), "text", None) or field.name.replace("_", " ")
    return f"“{label}”"


def search_text(name: str, max_length: int) -> str:
    """A search box's text from the query string, stripped and cut to `max_length`. Text with
    a control character is not searched for: it counts as empty, and the page shows the field
    message from `search_error(name)`."""
    raw = (request.args.get(name) or "").strip()[:max_length]
    if text.control_character_in(raw) is not None:
        errors = g.setdefault("search_errors", {})
        errors[name] = text.control_character_message("The search text")
        return ""
    return raw


def search_error(name: str = "q") -> Markup:
    """The field message of a search box refused by `search_text` (empty when none)."""
    message = g.get("search_errors", {}).get(name)
    if not message:
        return Markup("")
    return Markup('<p class="field-error" role="alert">') + escape(message) + Markup("</p>")


def apply_errors(form: FlaskForm, error: DomainError) -> bool:
    """Put a DomainError's messages on the form fields they name.

    Returns True when at least one field took a message; otherwise the caller
    shows the error as a page-level message.
    """
    placed = False
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + list(messages)
            placed = True
    return placed
