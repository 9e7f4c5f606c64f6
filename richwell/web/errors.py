"""Error pages (HTML) and the JSON error shape under /api/."""
from __future__ import annotations

from flask import Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from richwell.services.platform import outages
from richwell.services.platform.errors import DomainError
from richwell.services.platform.unit_of_work import discard
from richwell.web.htmx import refusal
from richwell.web.sessions import is_api_path

PAGES = {400, 403, 404, 405, 413, 422, 429, 500}
CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "rule", 429: "throttled", 500: "server_error",
         503: "unavailable"}
# A request cut off by an outage may have committed before the connection went (the commit's
# answer is what was lost), so an outage answer never says "nothing was changed".
OUTAGE_MESSAGE = ("The portal cannot reach its {service} right now. Try again in a minute. If you were "
                  "saving something, check whether it was saved before doing it again.")
OUTAGE_API_MESSAGE = ("The {service} is unreachable; try again later. The request may or may not have been "
                      "recorded: check before retrying, or resend it with the same Idempotency-Key.")


def _wants_json() -> bool:
    return is_api_path(request.path)


def json_error(status: int, code: str, message: str | None, fields: dict[str, list[str]] | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "fields": fields or {}})
    response.status_code = status
    return response


def outage_page(service: str) -> str:
    """The web's 503 page, rendered without a context processor, the session's user or the
    database (which may be what is down): a standalone template given only its text."""
    template = current_app.jinja_env.get_template("errors/503.html")
    return template.render(message=OUTAGE_MESSAGE.format(service=_service_name(service)),
                           stylesheet=f"{current_app.static_url_path or '/static'}/css/app.css")


def _service_name(service: str) -> str:
    return {"database": "database", "redis": "shared cache and queue (Redis)"}.get(service, service)


def outage_response(service: str) -> Response:
    """503 with Retry-After: JSON in the API's error shape under /api/, the static page elsewhere."""
    outages.count(f"outage_{service}")
    if _wants_json():
        response = json_error(503, "unavailable", OUTAGE_API_MESSAGE.format(service=_service_name(service)))
    else:
        response = Response(outage_page(service), status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = "Your form expired or was not sent from this site. Reload the page and try again."
        if _wants_json():
            return json_error(400, "csrf", message)
        return render_template("errors/400.html", message=message), 400

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        if _wants_json():
            return json_error(error.status, error.code, error.message, error.fields)
        if request.headers.get("HX-Request") == "true":
            return refusal(error.message, error.status)
        template = f"errors/{error.status}.html" if error.status in PAGES else "errors/422.html"
        return render_template(template, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if _wants_json():
            message = error.description if status != 429 else "Too many requests; slow down."
            response = json_error(status, CODES.get(status, "error"), message)
            # 405 must say what is allowed (Allow); 429 when to come back (Retry-After).
            for name, value in error.get_headers():
                if name.lower() in ("allow", "retry-after"):
                    response.headers[name] = value
            return response
        template = f"errors/{status}.html" if status in PAGES else "errors/400.html"
        # Werkzeug's stock sentences ("The requested URL was not found on the server…") read as
        # a machine talking; the page's own words stand in for them.
        described = getattr(error, "description", None)
        message = None if described == type(error).description else described
        return render_template(template, message=message), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        service = outages.unavailable_service(error)
        if service is not None:
            app.logger.warning("%s unavailable on %s: %s", service, request.path, error)
            try:
                discard()
            except Exception:  # noqa: BLE001 - the rollback needs the connection that just went away
                pass
            return outage_response(service)
        app.logger.exception("Unhandled error on %s", request.path)
        discard()
        if _wants_json():
            return json_error(500, "server_error",
                              "Something went wrong on our side; check whether your change was saved "
                              "before trying again.")
        return render_template("errors/500.html"), 500
