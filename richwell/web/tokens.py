"""Every signed-in user's own API tokens: list, create (the secret shown once), revoke."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import Length, Optional

from richwell.services.platform import api_tokens, settings
from richwell.services.platform.clock import now
from richwell.services.platform.errors import DomainError, NotFound
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.guards import require_login
from richwell.web.htmx import is_partial_request, render
from richwell.web.impersonation import refuse_while_impersonating

bp = Blueprint("tokens", __name__, url_prefix="/tokens")
bp.before_request(require_login)
bp.before_request(refuse_while_impersonating)  # a token would outlive the impersonation


class TokenForm(PortalForm):
    name = StringField("What is it for?", validators=[Optional(), Length(max=api_tokens.TOKEN_NAME_MAX)])


def _page(form: TokenForm, status: int = 200, secret: str | None = None):
    response = render("tokens/index.html", "tokens/_list.html", status=status, form=form, secret=secret,
                      tokens=api_tokens.tokens_of(current_user.id), at=now(),
                      days=settings.get("api_token_days"))
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret must not linger in a cache
    return response


@bp.get("/")
def index():
    return _page(TokenForm())


@bp.post("/")
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        _, secret = api_tokens.issue_token(current_user._get_current_object(), form.name.data)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _page(form, error.status if error.status < 500 else 400)
    return _page(TokenForm(formdata=None), secret=secret)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    if not TokenForm().validate_on_submit():
        abort(400)
    try:
        token = api_tokens.revoke_token(current_user._get_current_object(), token_id)
    except NotFound:
        abort(404)
    if is_partial_request():
        return _page(TokenForm(formdata=None))
    flash(f"The token “{token.name}” is revoked; it no longer works.", "success")
    return redirect(url_for("tokens.index"))
