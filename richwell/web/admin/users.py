"""Admin: staff accounts (create, deactivate, reset password) and impersonation."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from richwell.extensions import db
from richwell.models import STAFF_ROLES, Role, User
from richwell.services.platform import accounts, settings
from richwell.services.platform.errors import DomainError
from richwell.services.platform.limits import STAFF_PAGE_SIZE
from richwell.web import confirm, impersonation
from richwell.web.admin.blueprint import bp
from richwell.web.forms import PortalForm, apply_errors, search_text
from richwell.web.guards import home_url_for


class StaffForm(PortalForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    role = SelectField("Role", choices=[(r.value, r.label) for r in STAFF_ROLES])


class ActionForm(PortalForm):
    """CSRF-only form for the row buttons."""


def _users_page(form: StaffForm, status: int = 200, new_password: tuple | None = None):
    q = search_text("q", 100)
    role = request.args.get("role") or ""
    query = select(User).order_by(User.role, User.last_name, User.first_name)
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), db.func.lower(User.last_name).like(like),
                                db.func.lower(User.first_name).like(like)))
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=STAFF_PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", form=form, action_form=ActionForm(), page=page, q=q,
                           role=role, roles=list(Role), new_password=new_password,
                           impersonation_enabled=settings.get("impersonation_enabled")), status


@bp.get("/users")
def users():
    return _users_page(StaffForm())


@bp.post("/users")
def create_user():
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user, password = accounts.create_staff(
                current_user, email=form.email.data, first_name=form.first_name.data,
                last_name=form.last_name.data, role=form.role.data)
        except DomainError as error:
            if not apply_errors(form, error):
                flash(error.message, "error")
        else:
            flash(f"Account created for {user.email}.", "success")
            return _users_page(StaffForm(formdata=None), 201, new_password=(user.email, password))
    return _users_page(form, 400)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    if ActionForm().validate_on_submit() and not confirm.confirmed("account.deactivate", user_id):
        user = db.session.get(User, user_id)
        if user is not None:
            return confirm.ask("account.deactivate", user_id, url_for("admin.users"), name=user.full_name)
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/activate")
def activate_user(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.users"))
    try:
        user = accounts.set_active(current_user, user_id, active)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.email} is {'active again' if active else 'deactivated; their sessions ended'}.",
              "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset-password")
def reset_password(user_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    try:
        password = accounts.reset_password(current_user, user_id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.users"))
    user = accounts.get_user(user_id)
    return _users_page(StaffForm(formdata=None), new_password=(user.email, password))


@bp.post("/users/<int:user_id>/impersonate")
def impersonate(user_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    admin = current_user._get_current_object()
    try:
        target = accounts.start_impersonation(admin, user_id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.users"))
    impersonation.begin(admin, target)
    flash(f"You are now acting as {target.email}. Every action is logged.", "warning")
    return redirect(home_url_for(target))
