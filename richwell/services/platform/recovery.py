"""Account recovery: "Forgot password?" mails a single-use link that expires.

The link carries a signed token (SECRET_KEY, its own salt) naming the user and a fingerprint
of the account's current password hash and session version, stamped with its time. It is
refused once older than `PASSWORD_RESET_MINUTES` (default 60), and once used: setting the new
password changes the hash, so the same link (or any older one) no longer matches. No table is
needed. The mail goes through the outbox like every other mail. Asking for an unknown or
deactivated address answers exactly as for a known one and sends nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert

from richwell.extensions import db
from richwell.models import OutboxEmail, OutboxStatus, User

from . import audit
from .accounts import check_password_strength, end_other_sessions, find_for_login, hash_password
from .clock import now
from .errors import ValidationError
from .outbox import SUBJECT, ask_for_delivery
from .unit_of_work import unit_of_work

SALT = "richwell.password-reset"
DEFAULT_MINUTES = 60
BAD_LINK = "This reset link has expired or was already used. Ask for a new one."


@dataclass(frozen=True)
class ResetRequest:
    """What asking produced: the mailed link (None when nobody matched, which callers never
    tell apart from a sent one except in development)."""

    link: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def minutes_valid() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MINUTES", DEFAULT_MINUTES))


def _fingerprint(user: User) -> str:
    text = f"{user.id}|{user.password_hash}|{user.session_version or 0}|{int(user.is_active_account)}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def make_token(user: User) -> str:
    """A reset token for this account as it stands now."""
    return str(_serializer().dumps({"u": user.id, "f": _fingerprint(user)}))


def request_reset(email: object, base_url: str) -> ResetRequest:
    """Mail a reset link to an active account with this email (students may use their student
    number too). Anything else: nothing is sent and nothing tells the asker."""
    identifier = str(email or "").strip()[:254]
    user = find_for_login(identifier) if identifier else None
    if user is None or not user.is_active_account:
        return ResetRequest(None)
    link = f"{base_url.rstrip('/')}/password/reset/{make_token(user)}"
    body = (f"Someone (we hope you) asked to reset the password of your Richwell Colleges portal account "
            f"({user.email}).\n\nChoose a new password here within {minutes_valid()} minutes:\n{link}\n\n"
            "The link works once. If you did not ask, ignore this message: your password stays as it is.")
    with unit_of_work():
        db.session.execute(insert(OutboxEmail.__table__).values(
            to_address=user.email, subject=f"{SUBJECT}: reset your password", body=body,
            status=OutboxStatus.PENDING.value, attempts=0, created_at=now()))
        audit.record(None, "account.password_reset_requested", user)
        ask_for_delivery()
    return ResetRequest(link)


def user_for_token(token: object) -> User:
    """The account a reset token belongs to, if it is still good (not expired, not used)."""
    try:
        data = _serializer().loads(str(token or ""), max_age=minutes_valid() * 60)
    except SignatureExpired:
        raise ValidationError(BAD_LINK, field="token") from None
    except BadSignature:
        raise ValidationError(BAD_LINK, field="token") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.is_active_account or data.get("f") != _fingerprint(user):
        raise ValidationError(BAD_LINK, field="token")
    return user


def reset_password(token: object, new: str, confirm: str) -> User:
    """Set a new password through a reset link: the link is then spent, every session of the
    account ends, and a password the admin made temporary no longer needs changing."""
    user = user_for_token(token)
    check_password_strength(new)
    if new != confirm:
        raise ValidationError("The two new passwords do not match.", field="confirm_password")
    with unit_of_work():
        user.password_hash = hash_password(new)
        user.must_change_password = False
        end_other_sessions(user)
        audit.record(user, "account.password_reset", user)
    return user
