"""Public pages and health checks (no sign-in)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from richwell.extensions import csrf, db, limiter
from richwell.services import permits, verification
from richwell.web.guards import home_url_for

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    return redirect(url_for("auth.login"))


@bp.get("/healthz")
@csrf.exempt
def healthz():
    """The process is alive; touches nothing."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and (when configured) Redis answer; otherwise 503 naming which."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        checks["database"] = f"unavailable: {type(exc).__name__}"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"unavailable: {type(exc).__name__}"
    failing = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ready" if not failing else "unavailable", "checks": checks, "failing": failing}
    return jsonify(body), (200 if not failing else 503)


# Public verification of printed codes (the QR on a permit points here). Rate-limited per
# client: the codes are unguessable, and this keeps anyone from trying.
VERIFY_LIMIT = "60 per minute"


@bp.get("/verify")
@limiter.limit(VERIFY_LIMIT)
def verify_form():
    """The public form: type a code, land on its verification page."""
    code = (request.args.get("code") or "").strip()[:40]
    if code:
        return redirect(url_for("public.verify", code=permits.normalize_code(code) or code))
    return render_template("verify/public.html", code="", result=None, action=url_for("public.verify_form"))


@bp.get("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    """Valid or not, what it is, the term, the student's name and number — nothing more."""
    code = code.strip()[:40]
    result = verification.verify(code)
    return render_template("verify/public.html", code=code, result=result,
                           action=url_for("public.verify_form")), (200 if result else 404)
