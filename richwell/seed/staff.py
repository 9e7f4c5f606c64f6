"""Demo staff: one account per role, and the online application switched on."""
from __future__ import annotations

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Role, User
from richwell.services.platform import accounts, settings
from richwell.services.platform.unit_of_work import unit_of_work

STAFF = [
    ("admin@richwell.edu.ph", "Ana", "Reyes", Role.ADMIN),
    ("cashier@richwell.edu.ph", "Carlo", "Dela Cruz", Role.CASHIER),
    ("registrar@richwell.edu.ph", "Rosa", "Mendoza", Role.REGISTRAR),
    ("head.registrar@richwell.edu.ph", "Helen", "Bautista", Role.HEAD_REGISTRAR),
    ("admission@richwell.edu.ph", "Adrian", "Villanueva", Role.ADMISSION),
    ("prof.santos@richwell.edu.ph", "Pedro", "Santos", Role.PROFESSOR),
]


def seed(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    for email, first, last, role in STAFF:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            accounts.create_user(email=email, first_name=first, last_name=last, role=role,
                                 password=password)
        elif not keep_passwords:
            # Re-running in development keeps accounts usable with the password just given.
            with unit_of_work():
                user.password_hash = accounts.hash_password(password)
                user.is_active_account = True
                user.must_change_password = False
    if not settings.get("enrollment_link_enabled"):
        settings.set_value(None, "enrollment_link_enabled", True)
    return [(role.label, email) for email, _, _, role in STAFF]
