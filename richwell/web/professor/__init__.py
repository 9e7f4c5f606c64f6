"""Professor pages. Each module registers its views on the one blueprint."""
from richwell.web.professor import grades, home, rosters, verify_permit  # noqa: F401
from richwell.web.professor.blueprint import bp

__all__ = ["bp"]
