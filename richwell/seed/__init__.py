"""Demo data for `flask seed-demo`: idempotent, one step per area, run in order."""
from __future__ import annotations

from richwell.seed import staff
from richwell.seed import payments

# Each step takes the password and returns the (role, login) lines it wants printed.
STEPS = [staff.seed]
# Runs after the students seed (it pays for whatever demo students exist).
STEPS.append(payments.seed)


def run(password: str) -> list[tuple[str, str]]:
    logins: list[tuple[str, str]] = []
    for step in STEPS:
        logins.extend(step(password) or [])
    return logins
