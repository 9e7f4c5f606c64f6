"""Demo data for `flask seed-demo`: idempotent, one step per area, run in order."""
from __future__ import annotations

from richwell.seed import academics, documents, grades, payments, staff
from richwell.seed import students as student_records

# Each step takes the password and returns the (role, login) lines it wants printed,
# in order: staff, the curriculum (programs, subjects, terms, sections), students, payments, grades,
# documents.
STEPS = [staff.seed, academics.seed, student_records.seed, payments.seed, grades.seed, documents.seed]


def run(password: str) -> list[tuple[str, str]]:
    logins: list[tuple[str, str]] = []
    for step in STEPS:
        logins.extend(step(password) or [])
    return logins
