"""The one role guard: anonymous → sign-in (HTML) or 401 (API); wrong role → 403."""
from __future__ import annotations

from flask import abort, jsonify, redirect, request, session, url_for
from flask_login import current_user

from richwell.models import Role

# Pages a signed-in user may still reach while a password change is forced.
PASSWORD_CHANGE_EXEMPT = {"auth.change_password", "auth.logout", "static", "auth.stop_impersonation"}


def unauthenticated_response():
    if request.path.startswith("/api/"):
        response = jsonify(error={"code": "unauthenticated", "message": "Sign in first.", "fields": {}})
        response.status_code = 401
        return response
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        # An expired session on an HTMX call: send the whole page to sign-in, not a fragment.
        from flask import make_response

        response = make_response("", 200)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def _must_change_password() -> bool:
    # An admin impersonating may not change the user's password, so is not sent there.
    return (bool(current_user.must_change_password) and request.endpoint not in PASSWORD_CHANGE_EXEMPT
            and session.get("impersonator_id") is None)


def require_roles(*roles: Role):
    """A before_request hook for a blueprint: only these roles get through."""
    allowed = {Role(r).value for r in roles}

    def guard():
        if not current_user.is_authenticated:
            return unauthenticated_response()
        if _must_change_password():
            return redirect(url_for("auth.change_password"))
        if current_user.role not in allowed:
            abort(403)
        return None

    return guard


def require_login():
    """Any signed-in user (notification center and the like)."""
    if not current_user.is_authenticated:
        return unauthenticated_response()
    if _must_change_password():
        return redirect(url_for("auth.change_password"))
    return None


HOME_ENDPOINTS = {
    Role.STUDENT.value: "student.home",
    Role.CASHIER.value: "cashier.home",
    Role.REGISTRAR.value: "registrar.home",
    Role.HEAD_REGISTRAR.value: "registrar.home",
    Role.PROFESSOR.value: "professor.home",
    Role.ADMISSION.value: "admission.home",
    Role.ADMIN.value: "admin.home",
}


def home_url_for(user) -> str:
    return url_for(HOME_ENDPOINTS[user.role])
