"""Accounts: password hashing, sign-in, staff accounts, password changes."""
from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import Role, Student, User

from . import audit
from .clock import now
from .context import acting_context
from .errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from .limits import MAX_ID
from .sql import cached_statement
from .unit_of_work import unit_of_work

_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing tells nothing.
_DUMMY_HASH: str | None = None

PASSWORD_MIN = 8
PASSWORD_MAX = 128
NAME_MAX = 100
STUDENT_NUMBER_RE = re.compile(r"^[0-9]{4}-[0-9]{5}$")


def configure_hasher(fast: bool) -> None:
    """Cheap argon2 parameters in tests only; production keeps argon2-cffi's defaults."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if fast else PasswordHasher()
    _DUMMY_HASH = None


def hash_password(password: str) -> str:
    """The argon2 hash stored for a password."""
    hashed: str = _hasher.hash(password)
    return hashed


def verify_password(user: User, password: str) -> bool:
    """True if `password` is the user's (a malformed stored hash never matches)."""
    try:
        matched: bool = _hasher.verify(user.password_hash, password)
        return matched
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn_time(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(12))
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def normalize_email(raw: str, field: str = "email") -> str:
    """A valid email address in lower case, or ValidationError at `field`."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter an email address.", field=field)
    if len(text) > 254:
        raise ValidationError("That email address is too long.", field=field)
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError("Enter a valid email address, like juan@example.com.", field=field) from None


def check_name(raw: str | None, field: str, label: str, required: bool = True) -> str | None:
    """A name without surrounding spaces, at most 100 characters (None when optional and empty)."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise ValidationError(f"Enter the {label}.", field=field)
        return None
    if len(text) > NAME_MAX:
        raise ValidationError(f"The {label} may be at most {NAME_MAX} characters.", field=field)
    return text


def check_password_strength(password: str, field: str = "new_password") -> None:
    """A password has 8 to 128 characters."""
    if len(password or "") < PASSWORD_MIN:
        raise ValidationError(f"Use at least {PASSWORD_MIN} characters.", field=field)
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"Use at most {PASSWORD_MAX} characters.", field=field)


def find_for_login(identifier: str) -> User | None:
    """A user by email (case-insensitive) or by student number."""
    ident = (identifier or "").strip()
    # NUL is not storable text (PostgreSQL refuses it in a query): no account can match it.
    if not ident or len(ident) > 254 or "\x00" in ident:
        return None
    if STUDENT_NUMBER_RE.match(ident):
        return db.session.scalar(
            select(User).join(Student, Student.user_id == User.id).where(Student.student_number == ident))
    return db.session.scalar(select(User).where(User.email == ident.lower()))


def authenticate(identifier: str, password: str) -> User | None:
    """The active user these credentials belong to, or None (one generic failure for all)."""
    if not password or len(password) > PASSWORD_MAX:
        return None
    user = find_for_login(identifier)
    if user is None:
        _burn_time(password)
        return None
    if not verify_password(user, password) or not user.is_active_account:
        return None
    with unit_of_work():
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = now()
    return user


def _session_user_statement() -> Select[User]:
    return select(User).where(User.id == bindparam("user_id"), User.session_version == bindparam("version"),
                              User.is_active_account.is_(True))


def user_for_session(user_id: int, version: int) -> User | None:
    """The signed-in user of a web session, in one statement; None when the session version
    is stale (sign-out, deactivation or a password change elsewhere) or the account closed."""
    if not 0 < user_id <= MAX_ID or not -MAX_ID <= version <= MAX_ID:
        return None
    return db.session.scalar(cached_statement("accounts.session_user", _session_user_statement),
                             {"user_id": user_id, "version": version})


def end_other_sessions(user: User) -> None:
    """Bump the session version: every session holding the old one is signed out."""
    user.session_version = (user.session_version or 0) + 1


def end_credentials(user: User) -> None:
    """The password changed or the account closed: every session and every opaque API token
    made before now ends (a plain sign-out ends sessions only: an integration keeps running)."""
    end_other_sessions(user)
    user.credentials_version = (user.credentials_version or 0) + 1


def sign_out(user: User) -> None:
    """Logout ends this and every other session of the user."""
    with unit_of_work():
        end_other_sessions(user)


def refuse_while_impersonating(doing: str) -> None:
    """Some acts belong to the account's owner alone: an admin acting as someone may not do them."""
    if acting_context().impersonator_id is not None:
        raise Forbidden(f"You cannot {doing} while impersonating someone. Stop impersonating first.",
                        code="impersonating")


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """The user changes their own password; other sessions end. Never while impersonated."""
    refuse_while_impersonating("change the password")
    if not verify_password(user, current or ""):
        raise ValidationError("Your current password is not right.", field="current_password")
    check_password_strength(new)
    if new != confirm:
        raise ValidationError("The two new passwords do not match.", field="confirm_password")
    if new == current:
        raise ValidationError("Choose a password different from the current one.", field="new_password")
    with unit_of_work():
        user.password_hash = hash_password(new)
        user.must_change_password = False
        end_credentials(user)
        audit.record(user, "account.password_change", user)


def generate_password() -> str:
    """A random first password (12 URL-safe characters)."""
    return secrets.token_urlsafe(9)


def create_user(*, email: str, first_name: str, last_name: str, role: Role | str,
                password: str | None, middle_name: str | None = None,
                must_change_password: bool = False, actor: User | None = None) -> User:
    """Create an account; a duplicate email (any case) is refused and nothing is created.
    Inside a caller's unit of work (an admission) the account is part of its transaction."""
    role = Role(role)
    email = normalize_email(email)
    first = check_name(first_name, "first_name", "first name")
    last = check_name(last_name, "last_name", "last name")
    middle = check_name(middle_name, "middle_name", "middle name", required=False)
    if password is not None:
        check_password_strength(password, field="password")
    if db.session.scalar(select(func.count(User.id)).where(User.email == email)):
        raise Conflict("An account with this email already exists.", field="email")
    user = User(email=email, first_name=first, middle_name=middle, last_name=last,
                role=role.value, password_hash=hash_password(password or generate_password()),
                must_change_password=must_change_password, created_at=now())
    try:
        with unit_of_work():
            db.session.add(user)
            db.session.flush()
            audit.record(actor, "account.create", user, after={"email": email, "role": role.value})
    except IntegrityError:  # the same email taken at the same moment; the unit has rolled back
        raise Conflict("An account with this email already exists.", field="email") from None
    return user


def create_staff(actor: User, *, email: str, first_name: str, last_name: str,
                 role: str) -> tuple[User, str]:
    """Admin creates a staff account with a generated first password the owner must change."""
    try:
        role_enum = Role(role)
    except ValueError:
        raise ValidationError("Choose a role.", field="role") from None
    if role_enum is Role.STUDENT:
        raise ValidationError("Students come in through admissions, not here.", field="role")
    password = generate_password()
    user = create_user(email=email, first_name=first_name, last_name=last_name, role=role_enum,
                       password=password, must_change_password=True, actor=actor)
    return user, password


def get_user(user_id: int) -> User:
    """The account with this id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("That account does not exist.")
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate (ending every session) or reactivate an account; audited."""
    user = get_user(user_id)
    if user.id == actor.id and not active:
        raise DomainError("You cannot deactivate your own account.", code="self_deactivation")
    if user.is_active_account == active:
        return user
    with unit_of_work():
        user.is_active_account = active
        if not active:
            end_credentials(user)
        audit.record(actor, "account.activate" if active else "account.deactivate", user,
                     before={"active": not active}, after={"active": active})
    return user


def reset_password(actor: User, user_id: int) -> str:
    """Admin resets a password: a new generated one, to be changed at next sign-in."""
    user = get_user(user_id)
    password = generate_password()
    with unit_of_work():
        user.password_hash = hash_password(password)
        user.must_change_password = True
        end_credentials(user)
        audit.record(actor, "account.password_reset", user)
    return password


def start_impersonation(admin: User, target_id: int) -> User:
    """An admin acts as another user while the setting allows it; audited."""
    from . import settings

    if admin.role != Role.ADMIN.value:
        raise DomainError("Only an administrator may impersonate.", code="forbidden")
    if not settings.get("impersonation_enabled"):
        raise DomainError("Impersonation is switched off in the settings.", code="impersonation_disabled")
    target = get_user(target_id)
    if target.id == admin.id or target.role == Role.ADMIN.value:
        raise DomainError("Administrators cannot be impersonated.", code="impersonation_refused")
    if not target.is_active_account:
        raise DomainError("That account is deactivated.", code="impersonation_refused")
    with unit_of_work():
        audit.record(admin, "impersonation.start", target)
    return target


def impersonator_still_signed_in(admin_id: int, session_version: object) -> User | None:
    """The admin behind an impersonation, while the session they left is still valid: still an
    active admin, same session version (no sign-out, password change or reset since)."""
    admin = db.session.get(User, admin_id)
    if (admin is None or admin.role != Role.ADMIN.value or not admin.is_active_account
            or admin.session_version != session_version):
        return None
    return admin


def stop_impersonation(admin_id: int, target: User | None, session_version: object) -> User | None:
    """End impersonation; audited. The admin's session comes back only if it is still valid:
    sessions ended meanwhile (sign-out elsewhere, password change, reset) stay ended (None)."""
    admin = impersonator_still_signed_in(admin_id, session_version)
    with unit_of_work():
        audit.record(admin or db.session.get(User, admin_id), "impersonation.stop", target,
                     after={"admin_session": "resumed" if admin else "ended"})
    return admin
