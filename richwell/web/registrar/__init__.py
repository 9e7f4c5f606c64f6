"""Registrar (and head registrar) pages. Each module registers its views on the one blueprint."""
from richwell.web.registrar import home  # noqa: F401
from richwell.web.registrar import enrollment  # noqa: F401
from richwell.web.registrar.blueprint import bp

__all__ = ["bp"]
