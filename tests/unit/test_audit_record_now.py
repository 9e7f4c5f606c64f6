"""audit.record_now writes the same append-only entry as audit.record, in the caller's transaction."""
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AuditEntry, Role
from richwell.services.platform import audit
from richwell.services.platform.context import ActingContext, set_acting_context
from tests.factories import make_user


def test_record_now_writes_the_same_entry_as_record():
    actor = make_user(Role.REGISTRAR)
    set_acting_context(ActingContext(ip="10.0.0.7"))
    try:
        audit.record(actor, "enrollment.test", target_type="X", target_id=5, after={"a": 1}, reason="why")
        audit.record_now(actor, "enrollment.test", target_type="X", target_id=5, after={"a": 1}, reason="why")
        db.session.commit()
    finally:
        set_acting_context(ActingContext())
    first, second = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    for column in ("actor_id", "actor_role", "action", "target_type", "target_id", "after", "reason", "ip"):
        assert getattr(first, column) == getattr(second, column), column
    assert second.created_at is not None and second.ip == "10.0.0.7"


def test_record_now_is_rolled_back_with_the_change():
    audit.record_now(None, "enrollment.test", target_type="X", target_id=1)
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry)) is None
