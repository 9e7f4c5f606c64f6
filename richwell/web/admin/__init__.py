"""Administrator pages. Each module registers its views on the one blueprint."""
from richwell.web.admin import audit_log, home, settings_page, users  # noqa: F401
from richwell.web.admin import enrollment_override  # noqa: F401
from richwell.web.admin.blueprint import bp

__all__ = ["bp"]
