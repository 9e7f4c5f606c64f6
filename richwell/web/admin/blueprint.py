"""The admin blueprint: URL prefix /admin, templates under templates/admin/."""
from flask import Blueprint

from richwell.models import Role
from richwell.web.guards import require_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_roles(Role.ADMIN))
