"""An admin acting as another user: what the session keeps, and the check on every request."""
from __future__ import annotations

from flask import abort, flash, session
from flask_login import login_user, logout_user

from richwell.services.platform import accounts
from richwell.web.guards import unauthenticated_response


def begin(admin, target) -> None:
    """The session becomes the target's, remembering the admin and the admin's session version."""
    session.clear()
    login_user(target)
    session["impersonator_id"] = admin.id
    session["impersonator_email"] = admin.email
    session["impersonator_version"] = admin.session_version


def is_impersonating() -> bool:
    return session.get("impersonator_id") is not None


def end_session() -> None:
    logout_user()
    session.clear()


def check_impersonator():
    """Before every request: an impersonation lives only as long as the admin's own session.
    Once the admin signed out elsewhere, changed or lost their password, or was deactivated,
    the impersonation ends with it and the browser goes to sign-in."""
    admin_id = session.get("impersonator_id")
    if admin_id is None:
        return None
    if accounts.impersonator_still_signed_in(admin_id, session.get("impersonator_version")) is None:
        end_session()
        flash("Your session has ended. Sign in again.", "info")
        return unauthenticated_response()
    return None


def refuse_while_impersonating():
    """A blueprint guard for pages that belong to the account's owner alone (API tokens)."""
    if is_impersonating():
        abort(403, description="Not while impersonating someone: stop impersonating first.")
    return None

