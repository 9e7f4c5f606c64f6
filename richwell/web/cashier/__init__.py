"""Cashier pages. Each module registers its views on the one blueprint."""
from richwell.web.cashier import home, imports  # noqa: F401
from richwell.web.cashier import end_of_day, terminal, verify_permit  # noqa: F401
from richwell.web.cashier.blueprint import bp

__all__ = ["bp"]
