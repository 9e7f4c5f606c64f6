"""The audit trail: written in the caller's transaction; append-only on PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from richwell.extensions import db
from richwell.models import AuditEntry, Role
from richwell.services.platform import audit
from richwell.services.platform.context import ActingContext, set_acting_context
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import make_user


def test_audit_record_lands_with_the_callers_commit_only():
    actor = make_user(Role.REGISTRAR)
    with pytest.raises(LookupError):
        with unit_of_work():
            audit.record(actor, "student.update", target_type="Student", target_id=5, before={"a": 1},
                         after={"a": 2})
            raise LookupError("the change is refused")
    assert db.session.query(AuditEntry).count() == 0
    with unit_of_work():
        audit.record(actor, "student.update", target_type="Student", target_id=5, reason="typo")
    entry = db.session.query(AuditEntry).one()
    assert (entry.actor_id, entry.actor_role, entry.target_id, entry.reason) == (actor.id, "registrar", "5", "typo")


def test_audit_system_actor_and_context_ip():
    set_acting_context(ActingContext(ip="10.1.2.3", impersonator_id=None))
    try:
        with unit_of_work():
            audit.record(None, "grade.inc_expired", target_type="SubjectEnrollment", target_id=1)
    finally:
        set_acting_context(ActingContext())
    entry = db.session.query(AuditEntry).one()
    assert entry.actor_label == "SYSTEM" and entry.actor_role == "system" and entry.ip == "10.1.2.3"


def test_audit_values_are_stored_as_json_safe_text():
    from datetime import date
    from decimal import Decimal

    with unit_of_work():
        audit.record(None, "settings.change", after={"amount": Decimal("12.50"), "on": date(2026, 1, 2)})
    assert db.session.query(AuditEntry).one().after == {"amount": "12.50", "on": "2026-01-02"}


@pytest.mark.postgres
def test_audit_table_is_append_only_on_postgresql(is_postgres):
    assert is_postgres
    with unit_of_work():
        audit.record(None, "settings.change", target_type="Setting", target_id="max_units")
    for statement in ("UPDATE audit_entries SET action = 'tampered'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.query(AuditEntry).one().action == "settings.change"
