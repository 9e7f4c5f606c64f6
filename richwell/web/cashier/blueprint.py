"""The cashier blueprint: URL prefix /cashier, templates under templates/cashier/."""
from flask import Blueprint

from richwell.models import Role
from richwell.web.guards import require_roles

bp = Blueprint("cashier", __name__, url_prefix="/cashier")
bp.before_request(require_roles(Role.CASHIER))
