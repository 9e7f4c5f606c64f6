"""Student pages. Each module registers its views on the one blueprint."""
from richwell.web.student import documents, grades, home, payments, subjects  # noqa: F401
from richwell.web.student.blueprint import bp

__all__ = ["bp"]
