"""Admission staff pages. Each module registers its views on the one blueprint."""
from richwell.web.admission import applications, home  # noqa: F401
from richwell.web.admission.blueprint import bp

__all__ = ["bp"]
