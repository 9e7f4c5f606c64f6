"""Demo data for `flask seed-demo`: idempotent, one step per area, run in order."""
from __future__ import annotations

from richwell.seed import academics, documents, grades, payments, staff
from richwell.seed import students as student_records

# Each step takes the password and returns the (role, login) lines it wants printed,
# in order: staff, the curriculum (programs, subjects, terms, sections), students, payments, grades,
# documents.
STEPS = [staff.seed, academics.seed, student_records.seed, payments.seed, grades.seed, documents.seed]


def run(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    """Every step in order. `keep_passwords`: accounts that already exist keep their password
    (and their active and must-change flags); only new demo accounts get `password`."""
    logins: list[tuple[str, str]] = []
    for step in STEPS:
        logins.extend(step(password, keep_passwords=keep_passwords) or [])
    return logins
