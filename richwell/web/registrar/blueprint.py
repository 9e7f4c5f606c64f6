"""The registrar blueprint: URL prefix /registrar, templates under templates/registrar/."""
from flask import Blueprint

from richwell.models import Role
from richwell.web.guards import require_roles

bp = Blueprint("registrar", __name__, url_prefix="/registrar")
bp.before_request(require_roles(Role.REGISTRAR, Role.HEAD_REGISTRAR))
