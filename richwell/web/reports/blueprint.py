"""The reports blueprint: URL prefix /reports, any signed-in staff member (the service decides)."""
from flask import Blueprint

from richwell.models import STAFF_ROLES
from richwell.web.guards import require_roles

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(require_roles(*STAFF_ROLES))
