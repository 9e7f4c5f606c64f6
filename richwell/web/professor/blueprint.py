"""The professor blueprint: URL prefix /professor, templates under templates/professor/."""
from flask import Blueprint

from richwell.models import Role
from richwell.web.guards import require_roles

bp = Blueprint("professor", __name__, url_prefix="/professor")
bp.before_request(require_roles(Role.PROFESSOR))
