"""Forgot password: ask for a link (same answer whoever asks), then choose a new password."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from richwell.extensions import limiter
from richwell.services.platform import recovery
from richwell.services.platform.errors import DomainError
from richwell.web.forms import PortalForm, apply_errors

bp = Blueprint("recovery", __name__)

SENT = ("If an account uses that address, a link to choose a new password is on its way. "
        "It works once, within {minutes} minutes.")


class ForgotForm(PortalForm):
    email = StringField("Email or student number", validators=[DataRequired(), Length(max=254)])


class ResetForm(PortalForm):
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=128)])
    confirm_password = PasswordField("Repeat the new password", validators=[DataRequired(), Length(max=128)])


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        asked = recovery.request_reset(form.email.data, request.url_root)
        # Development shows the mailed link (no mail server there); elsewhere the answer is the
        # same whether or not the address belongs to anyone.
        shown = asked.link if current_app.config.get("RICHWELL_ENV") == "development" else None
        return render_template("auth/forgot_sent.html", message=SENT.format(minutes=recovery.minutes_valid()),
                               dev_link=shown)
    return render_template("auth/forgot.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        user = recovery.user_for_token(token)
    except DomainError as error:
        return render_template("auth/reset_bad.html", message=error.message), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            recovery.reset_password(token, form.new_password.data, form.confirm_password.data)
        except DomainError as error:
            if not apply_errors(form, error):
                flash(error.message, "error")
            return render_template("auth/reset.html", form=form, email=user.email), 400
        flash("Your password is changed. Sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, email=user.email), 400 if form.is_submitted() else 200
