"""Administrator pages. Each module registers its views on the one blueprint."""
from richwell.web.admin import (  # noqa: F401
    audit_log,
    documents,
    enrollment_override,
    exam_months,
    home,
    jobs,
    programs,
    reversals,
    settings_page,
    users,
)
from richwell.web.admin.blueprint import bp

__all__ = ["bp"]
