"""The admission blueprint: URL prefix /admission, templates under templates/admission/."""
from flask import Blueprint

from richwell.models import Role
from richwell.web.guards import require_roles

bp = Blueprint("admission", __name__, url_prefix="/admission")
bp.before_request(require_roles(Role.ADMISSION))
