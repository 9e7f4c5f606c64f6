"""Cashier pages. Each module registers its views on the one blueprint."""
from richwell.web.cashier import end_of_day, home, imports, terminal, verify_permit  # noqa: F401  # noqa: F401
from richwell.web.cashier.blueprint import bp

__all__ = ["bp"]
