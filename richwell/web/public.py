"""Public pages and health checks (no sign-in)."""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import text
from wtforms import PasswordField, SelectField, StringField, TextAreaField

from richwell.extensions import csrf, db, limiter
from richwell.models import DocumentKind
from richwell.services import admissions, documents, finance
from richwell.services.platform import outages, settings
from richwell.services.platform.errors import DomainError, NotFound, ValidationError
from richwell.services.platform.unit_of_work import discard
from richwell.web.downloads import as_attachment
from richwell.web.forms import PortalForm, apply_errors, search_text
from richwell.web.guards import home_url_for, require_login
from richwell.web.htmx import render

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    return redirect(url_for("auth.login"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages that name no icon (PDFs, JSON): the same mark."""
    return send_from_directory(current_app.static_folder or "static", "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    """The process is alive; touches nothing."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic when the database answers (required: 503 otherwise). Redis is
    "degraded", not required: without it sign-in and payments still work (limits in memory,
    queued work left for the stale sweep), so a Redis outage keeps every node in the load
    balancer and only says so."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        try:
            discard()
        except Exception:  # noqa: BLE001 - the rollback needs the connection that failed
            pass
        checks["database"] = f"unavailable: {type(exc).__name__}"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"unavailable: {type(exc).__name__}"
    failing = [name for name in REQUIRED if checks.get(name, "ok") != "ok"]
    degraded = [name for name, state in checks.items() if state != "ok" and name not in REQUIRED]
    status = "unavailable" if failing else ("degraded" if degraded else "ready")
    body = {"status": status, "checks": checks, "failing": failing, "degraded": degraded,
            "counters": outages.counts()}
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    if failing:
        response.headers["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    return response


#: What /readyz requires; everything else it checks only marks the node degraded.
REQUIRED = ("database",)


# --- the online application -------------------------------------------------------------------

ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
APPLICATION_FIELDS = ("first_name", "middle_name", "last_name", "birthdate", "sex", "email", "mobile", "address",
                      "program_id", "admission_type", "previous_school", "previous_course", "password",
                      "monthly_commitment")


class ApplicationForm(PortalForm):
    """Rendering and CSRF only: every rule lives in services.admissions."""

    first_name = StringField("First name", render_kw={"autocomplete": "given-name", "maxlength": 100})
    middle_name = StringField("Middle name (optional)", render_kw={"autocomplete": "additional-name", "maxlength": 100})
    last_name = StringField("Last name", render_kw={"autocomplete": "family-name", "maxlength": 100})
    birthdate = StringField("Birthdate", render_kw={"type": "date", "autocomplete": "bday"})
    sex = SelectField("Sex", choices={"": "Choose…", "F": "Female", "M": "Male"}, validate_choice=False)
    email = StringField("Email", render_kw={"type": "email", "autocomplete": "email", "maxlength": 254})
    mobile = StringField("Mobile number", render_kw={"type": "tel", "autocomplete": "tel", "maxlength": 20,
                                                     "placeholder": "09171234567"})
    address = TextAreaField("Home address", render_kw={"rows": 2, "maxlength": 500, "autocomplete": "street-address"})
    program_id = SelectField("Program", validate_choice=False)
    admission_type = SelectField("I am applying as", validate_choice=False, default="FRESHMAN",
                                 choices={"FRESHMAN": "A freshman (first year in college)",
                                          "TRANSFEREE": "A transferee (coming from another college)"})
    previous_school = StringField("Previous school (transferees)", render_kw={"maxlength": 200})
    previous_course = StringField("Course taken there (transferees)", render_kw={"maxlength": 200})
    monthly_commitment = StringField("Monthly installment you can pay (PHP)",
                                     render_kw={"inputmode": "decimal", "maxlength": 20})
    password = PasswordField("Choose a password", render_kw={"autocomplete": "new-password", "maxlength": 128})
    confirm_password = PasswordField("Repeat the password", render_kw={"autocomplete": "new-password",
                                                                      "maxlength": 128})
    id_document = FileField(DocumentKind.ID.label, render_kw={"accept": ACCEPT})
    form138_document = FileField(DocumentKind.FORM138_OR_TOR.label, render_kw={"accept": ACCEPT})
    good_moral_document = FileField(DocumentKind.GOOD_MORAL.label, render_kw={"accept": ACCEPT})


def _application_form(formdata=None) -> ApplicationForm:
    form = ApplicationForm(formdata=formdata) if formdata is not None else ApplicationForm()
    form.program_id.choices = [("", "Choose a program…")] + [
        (str(p.id), f"{p.code} — {p.name}") for p in admissions.active_programs()]
    form.admission_type.render_kw = {"hx-get": url_for("public.apply_transferee_fields"),
                                     "hx-target": "#transferee-fields", "hx-trigger": "change",
                                     "hx-include": "#transferee-fields"}
    return form


def _uploaded(form: ApplicationForm) -> tuple[list, dict[str, list[str]]]:
    """The files the applicant attached, as plain (kind, name, stream) values, and the missing ones."""
    attached, missing = [], {}
    for kind, field_name in admissions.DOCUMENT_FIELDS.items():
        storage = form[field_name].data
        if storage is not None and getattr(storage, "filename", None):
            attached.append((kind, storage.filename, storage.stream))
        else:
            missing[field_name] = [f"Attach your {DocumentKind(kind).label.lower()} (PDF, JPEG or PNG, up to 5 MB)."]
    return attached, missing


def _closed_page(status: int = 200):
    return render_template("public/apply_closed.html"), status


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"],
               error_message="Too many applications from this connection. Please try again later.")
def apply():
    """The public application: one form for freshmen and transferees, documents required here."""
    if not settings.get("enrollment_link_enabled"):
        return _closed_page(403 if request.method == "POST" else 200)
    form = _application_form()
    status = 200
    failure = None
    reattach: dict[str, str] = {}
    if request.method == "POST":
        form.validate()  # CSRF is checked globally; the fields carry no validators of their own
        values = {name: form[name].data for name in APPLICATION_FIELDS}
        attached, missing = _uploaded(form)
        error: DomainError | None = None
        try:
            if missing:
                admissions.validate_application(documents=attached, password_confirmation=form.confirm_password.data,
                                                **values)
                error = ValidationError("Attach the missing documents.", fields=missing)
            else:
                admitted = admissions.submit_application(documents=attached,
                                                         password_confirmation=form.confirm_password.data, **values)
        except DomainError as exc:
            error = exc
            if missing and isinstance(exc, ValidationError):
                for name, messages in missing.items():
                    error.fields.setdefault(name, []).extend(messages)
        if error is None:
            session["applied"] = {"number": admitted.student_number, "first_name": admitted.student.user.first_name}
            return redirect(url_for("public.applied"))
        if error.code == "enrollment_closed":
            return _closed_page(403)
        placed = apply_errors(form, error)
        failure = "Some answers need attention: see the messages under the fields." if placed else error.message
        status = error.status
        # Chosen files are not kept on a refused form (a browser cannot refill a file field, and
        # an applicant's ID and school records are not stored for an application never sent):
        # the page names each file chosen so the applicant attaches the same ones again.
        reattach = {admissions.DOCUMENT_FIELDS[kind]: name[:120] for kind, name, _ in attached}
    transferee = form.admission_type.data == "TRANSFEREE"
    return render_template("public/apply.html", form=form, transferee=transferee, failure=failure,
                           reattach=reattach, minimum=settings.get("min_monthly_commitment"),
                           months=settings.get("installment_months")), status


@bp.get("/apply/transferee-fields")
def apply_transferee_fields():
    """The transferee fields, shown only when "transferee" is chosen (HTMX swaps them in)."""
    form = _application_form(formdata=request.args)
    transferee = request.args.get("admission_type") == "TRANSFEREE"
    return render("public/apply.html", "public/_transferee_fields.html", form=form, transferee=transferee,
                  swapped=True, failure=None, reattach={}, minimum=settings.get("min_monthly_commitment"),
                  months=settings.get("installment_months"))


@bp.get("/apply/done")
def applied():
    """The confirmation: the new student number and how to sign in."""
    applied = session.get("applied")
    if not applied:
        return redirect(url_for("public.apply"))
    return render_template("public/applied.html", number=applied["number"], first_name=applied["first_name"])


@bp.get("/application-documents/<int:document_id>")
def application_document(document_id: int):
    """An applicant's uploaded document: for the owning student, admission staff and
    registrars; anyone else gets 404."""
    refused = require_login()
    if refused is not None:
        return refused
    try:
        document, content = admissions.document_for_viewer(current_user, document_id)
    except NotFound:
        abort(404)
    served = admissions.document_download(document)  # our name and the sniffed type, never the uploader's
    response = send_file(io.BytesIO(content), mimetype=served.content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return as_attachment(response, served.filename, served.content_type)


# Public verification of printed codes (the QR on a permit points here). Rate-limited per
# client: the codes are unguessable, and this keeps anyone from trying.
VERIFY_LIMIT = "60 per minute"


@bp.get("/verify")
@limiter.limit(VERIFY_LIMIT)
def verify_form():
    """The public form: type a code, land on its verification page."""
    code = search_text("code", 40)
    if code:
        return redirect(url_for("public.verify", code=finance.normalize_code(code) or code))
    return render_template("verify/public.html", code="", result=None, action=url_for("public.verify_form"))


@bp.get("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    """Valid or not, what it is, the term, the student's name and number — nothing more."""
    code = code.strip()[:40]
    result = documents.verify(code)
    return render_template("verify/public.html", code=code, result=result,
                           action=url_for("public.verify_form")), (200 if result else 404)
