"""Domain errors: a machine code, a human sentence, and optionally the field at fault."""
from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. Pages answer 422 with the message; the API uses `code`."""

    status = 422
    code = "rule"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = dict(fields or {})
        if field:
            self.fields.setdefault(field, []).append(message)

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Input that is malformed or out of range; `fields` names where."""

    status = 400
    code = "invalid"


class NotFound(DomainError):
    """The object does not exist, or is not the caller's (no existence leak)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may not do this."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """A duplicate, or an idempotency key reused with another body."""

    status = 409
    code = "conflict"
