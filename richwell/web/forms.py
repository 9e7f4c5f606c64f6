"""Shared WTForms bits: length-bounded fields and mapping domain errors onto fields."""
from __future__ import annotations

from flask_wtf import FlaskForm

from richwell.services.platform.errors import DomainError


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
