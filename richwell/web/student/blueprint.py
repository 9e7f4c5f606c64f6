"""The student blueprint: URL prefix /student, templates under templates/student/."""
from flask import Blueprint

from richwell.models import Role
from richwell.web.guards import require_roles

bp = Blueprint("student", __name__, url_prefix="/student")
bp.before_request(require_roles(Role.STUDENT))
