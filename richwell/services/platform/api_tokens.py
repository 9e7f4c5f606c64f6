"""API credentials: opaque tokens (hashed, revocable, expiring) and JWT access/refresh pairs.

Rules (README "API"):
- An opaque token is `rw_` + 43 random URL-safe characters. Only its sha256 is stored; the
  secret is shown once, when it is created. It expires after the setting `api_token_days`
  and can be revoked by its owner. It carries the owner's credentials version: a password
  change, an admin reset or a deactivation ends it. It is not tied to the web session:
  signing out of the website does not break an integration.
- A JWT pair (HS256, key derived from SECRET_KEY) carries the user's session version, so a
  password change, a reset, a deactivation or a sign-out everywhere ends it like a session.
  Access tokens live 15 minutes, refresh tokens 7 days.
- Any credential of a deactivated account is refused (401). An account that must change its
  password is refused with 403 `password_change_required` until it does so on the website.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from flask import current_app
from sqlalchemy import Select, Update, bindparam, delete, or_, select, update

from richwell.extensions import db
from richwell.models import ApiToken, User

from . import accounts, audit, settings
from .clock import now
from .errors import DomainError, Forbidden, NotFound, ValidationError
from .sql import cached_statement, rowcount
from .unit_of_work import unit_of_work

TOKEN_PREFIX = "rw_"
TOKEN_NAME_MAX = 100
DEFAULT_TOKEN_NAME = "API token"
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=7)
# Recording every single use would turn each GET into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)
JWT_ALGORITHM = "HS256"
JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
CREDENTIAL_MAX = 4096
# Dead tokens (expired or revoked) stay listed this long for their owner, then are purged.
DEAD_TOKEN_RETENTION = timedelta(days=90)

GENERIC_FAILURE = "That sign-in did not work. Check your email or student number and password."
INVALID_CREDENTIAL = "The token is not valid, has expired or was revoked. Get a new one."


class Unauthenticated(DomainError):
    """No valid credentials: wrong password, unknown, expired or revoked token."""

    status = 401
    code = "unauthenticated"


class PasswordChangeRequired(Forbidden):
    """The account must change its password on the website before it may use the API."""

    code = "password_change_required"


def hash_secret(secret: str) -> str:
    """The stored fingerprint of a token secret (sha256, hex)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _signing_key() -> bytes:
    # A key of its own for JWTs (always 32 bytes), derived from SECRET_KEY: rotating the
    # secret ends every JWT, and a JWT key can never double as the session-cookie key.
    return hashlib.sha256(b"richwell-api-jwt:" + current_app.config["SECRET_KEY"].encode("utf-8")).digest()


def _check_usable_account(user: User | None) -> User:
    if user is None or not user.is_active_account:
        raise Unauthenticated(INVALID_CREDENTIAL)
    if user.must_change_password:
        raise PasswordChangeRequired("Change your password on the website before using the API.")
    return user


def sign_in(identifier: str, password: str) -> User:
    """Email or student number + password, checked exactly like the sign-in page (one generic
    failure for every reason); an account that must change its password gets no credential."""
    user = accounts.authenticate(identifier, password)
    if user is None:
        raise Unauthenticated(GENERIC_FAILURE)
    return _check_usable_account(user)


def check_token_name(raw: str | None) -> str:
    """A token's name: optional (a default is given), at most 100 printable characters."""
    name = (raw or "").strip() or DEFAULT_TOKEN_NAME
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError(f"Name the token in at most {TOKEN_NAME_MAX} characters.", field="name")
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise ValidationError("Use letters, digits and punctuation only in the name.", field="name")
    return name


def issue_token(user: User, name: str | None = None) -> tuple[ApiToken, str]:
    """A new opaque token for this user, valid for `api_token_days`; only its hash is kept,
    so the returned secret is the one and only time it can be shown. Never while impersonated:
    a token would outlive the impersonation and act as the user unaudited."""
    accounts.refuse_while_impersonating("create an API token")
    _check_usable_account(user)
    label = check_token_name(name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    issued = now()
    token = ApiToken(user_id=user.id, name=label, token_hash=hash_secret(secret), prefix=secret[:8],
                     created_at=issued, expires_at=issued + timedelta(days=settings.get("api_token_days")),
                     credentials_version=user.credentials_version)
    with unit_of_work():
        db.session.add(token)
        db.session.flush()
        audit.record(user, "api_token.create", token, after={"name": label, "prefix": token.prefix,
                                                             "expires_at": token.expires_at})
    return token, secret


def tokens_of(user_id: int) -> list[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones included, marked)."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(),
                                                                     ApiToken.id.desc())))


def revoke_token(user: User, token_id: int) -> ApiToken:
    """The owner revokes one of their tokens; another user's token does not exist for them."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("That token does not exist.")
    if token.revoked_at is None:
        with unit_of_work():
            token.revoked_at = now()
            audit.record(user, "api_token.revoke", token, before={"prefix": token.prefix})
    return token


@dataclass(frozen=True)
class Caller:
    """Who an Authorization credential belongs to. For an opaque token whose last-used time is
    a minute or more old, `token_id` and `used_at` say what `record_use` should write."""

    user: User
    token_id: int | None = None
    used_at: datetime | None = None


def _token_statement() -> Select[User, int, datetime | None]:
    # One statement: the owner's columns with the token's, only while the token is live and
    # was made under the owner's current credentials (password, reset, deactivation).
    return (select(User, ApiToken.id.label("token_id"), ApiToken.last_used_at.label("last_used_at"))
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("at"),
                   ApiToken.credentials_version == User.credentials_version))


def _caller_for_opaque(secret: str) -> Caller:
    at = now()
    row = db.session.execute(cached_statement("api_tokens.lookup", _token_statement),
                             {"token_hash": hash_secret(secret), "at": at}).first()
    if row is None:
        raise Unauthenticated(INVALID_CREDENTIAL)
    user = _check_usable_account(row.User)
    due = row.last_used_at is None or at - row.last_used_at >= LAST_USED_PRECISION
    return Caller(user, row.token_id, at if due else None)


def _touch_statement() -> Update:
    token = ApiToken.__table__.c
    return (update(ApiToken.__table__).where(token.id == bindparam("token_id"))
            .where(or_(token.last_used_at.is_(None), token.last_used_at < bindparam("cutoff")))
            .values(last_used_at=bindparam("used_at")))


def record_use(caller: Caller) -> None:
    """Write the token's last-used time when it is due (at most once a minute), in a short
    transaction of its own: called after the request's work, never inside its transaction."""
    if caller.token_id is None or caller.used_at is None:
        return
    with unit_of_work():
        db.session.execute(cached_statement("api_tokens.touch", _touch_statement), {
            "token_id": caller.token_id, "used_at": caller.used_at,
            "cutoff": caller.used_at - LAST_USED_PRECISION})


def issue_jwt_pair(user: User) -> dict[str, str]:
    """A short-lived access JWT and a longer refresh JWT, both bound to the session version."""
    _check_usable_account(user)
    return {"access": _encode(user, "access", ACCESS_LIFETIME), "refresh": _encode(user, "refresh", REFRESH_LIFETIME)}


def _encode(user: User, kind: str, lifetime: timedelta) -> str:
    issued = now()
    claims = {"sub": str(user.id), "sv": user.session_version, "typ": kind, "iat": issued,
              "exp": issued + lifetime, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, _signing_key(), algorithm=JWT_ALGORITHM)


def _user_for_jwt(token: str, kind: str) -> User:
    try:
        claims = jwt.decode(token, _signing_key(), algorithms=[JWT_ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "typ", "sv"]})
    except jwt.PyJWTError:
        raise Unauthenticated(INVALID_CREDENTIAL) from None
    sub = claims.get("sub")
    if claims.get("typ") != kind or not isinstance(sub, str) or not sub.isdigit() or len(sub) > 18:
        raise Unauthenticated(INVALID_CREDENTIAL)
    user = db.session.get(User, int(sub))
    if user is None or user.session_version != claims.get("sv"):
        raise Unauthenticated(INVALID_CREDENTIAL)
    return _check_usable_account(user)


def refresh_access(refresh_token: str) -> dict[str, str]:
    """A new access JWT for a valid refresh JWT of a still-valid session."""
    if not refresh_token or len(refresh_token) > CREDENTIAL_MAX or not JWT_SHAPE.match(refresh_token):
        raise Unauthenticated(INVALID_CREDENTIAL)
    user = _user_for_jwt(refresh_token, "refresh")
    return {"access": _encode(user, "access", ACCESS_LIFETIME)}


def caller_for_credential(credential: str) -> Caller:
    """Who an Authorization credential belongs to: a JWT access token when it has the JWT
    shape, an opaque token otherwise. Raises Unauthenticated or PasswordChangeRequired."""
    credential = (credential or "").strip()
    if not credential or len(credential) > CREDENTIAL_MAX:
        raise Unauthenticated(INVALID_CREDENTIAL)
    if JWT_SHAPE.match(credential):
        return Caller(_user_for_jwt(credential, "access"))
    return _caller_for_opaque(credential)


def user_for_credential(credential: str) -> User:
    """The user of an Authorization credential (see caller_for_credential); records the use."""
    caller = caller_for_credential(credential)
    record_use(caller)
    return caller.user


def purge_dead_tokens() -> int:
    """Delete tokens that expired or were revoked more than 90 days ago (the monthly
    archive job); a live token is never touched. Safe to run twice. Returns how many."""
    cutoff = now() - DEAD_TOKEN_RETENTION
    with unit_of_work():
        deleted = rowcount(db.session.execute(
            delete(ApiToken).where(or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff))))
        if deleted:
            audit.record(None, "api_token.purge", target_type="ApiToken", after={"deleted": deleted,
                                                                                  "before": cutoff})
    return deleted
