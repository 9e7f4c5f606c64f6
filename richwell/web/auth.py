"""Sign-in, sign-out, password change, leaving impersonation."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from richwell.extensions import limiter
from richwell.services.platform import accounts
from richwell.services.platform.errors import DomainError
from richwell.services.platform.limits import SIGN_IN_ACCOUNT_SCOPE, sign_in_account_key
from richwell.web import impersonation
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.guards import home_url_for
from richwell.web.redirects import safe_next

bp = Blueprint("auth", __name__)

GENERIC_FAILURE = "That sign-in did not work. Check your email or student number and password."


class LoginForm(PortalForm):
    identifier = StringField("Email or student number", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])


class ChangePasswordForm(PortalForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=128)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=128)])
    confirm_password = PasswordField("Repeat the new password", validators=[DataRequired(), Length(max=128)])


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _account_key() -> str:
    return sign_in_account_key(request.form.get("identifier"))


def _address_key() -> str:
    return "login-address:" + (request.remote_addr or "")


def _failed(response) -> bool:
    # Only failures count: a computer lab signing in correctly never spends its budget.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(_account_limit, scope=SIGN_IN_ACCOUNT_SCOPE, key_func=_account_key, methods=["POST"],
                      deduct_when=_failed,
                      error_message="Too many sign-in attempts for this account. Wait a minute, then try again.")
@limiter.limit(_address_limit, key_func=_address_key, methods=["POST"], deduct_when=_failed,
               error_message="Too many sign-in attempts. Wait a minute, then try again.")
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_url_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            session.clear()  # a new session on every sign-in (no fixation)
            login_user(user)
            if user.must_change_password:
                flash("Choose your own password before you continue.", "info")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or home_url_for(user))
        form.password.errors = []
        return render_template("auth/login.html", form=form, failure=GENERIC_FAILURE), 200
    if request.method == "POST":
        return render_template("auth/login.html", form=form, failure=None), 400
    return render_template("auth/login.html", form=form, failure=None)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    impersonation.refuse_while_impersonating()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data,
                                     form.confirm_password.data)
        except DomainError as error:
            apply_errors(form, error)
        else:
            # This session carries on with the new version; every other one has ended.
            login_user(user)
            flash("Your password is changed. Other sessions were signed out.", "success")
            return redirect(home_url_for(user))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/impersonation/stop", methods=["POST"])
@login_required
def stop_impersonation():
    admin_id = session.get("impersonator_id")
    if not admin_id:
        abort(400)
    admin = accounts.stop_impersonation(admin_id, current_user._get_current_object(),
                                        session.get("impersonator_version"))
    impersonation.end_session()
    if admin is None:  # the admin's sessions ended meanwhile: they stay ended
        flash("Impersonation ended. Your own session had ended too: sign in again.", "info")
        return redirect(url_for("auth.login"))
    login_user(admin)
    flash("Impersonation ended.", "info")
    return redirect(url_for("admin.users"))
