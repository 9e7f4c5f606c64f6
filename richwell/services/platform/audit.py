"""The audit trail: every critical action, written in the caller's transaction."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from richwell.extensions import db
from richwell.models import AuditEntry, Role, User

from .clock import now
from .context import acting_context
from .unit_of_work import stage_row


def _jsonable(value: Any) -> Any:
    # Any JSON-able value in, the same with decimals and dates written as text out.
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


#: The actor role recorded for what the system did by itself (jobs, sweeps, the seed).
SYSTEM_ROLE = "system"


def entry(actor: User | None, action: str, target: Any = None, *, before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None, reason: str | None = None, target_type: str | None = None,
          target_id: Any = None) -> dict[str, Any]:
    """The audit row record() stages, for a hot path that writes it in a statement of its own
    (the payment's): the caller's unit of work must write it."""
    ctx = acting_context()
    if target is not None:
        target_type = target_type or type(target).__name__
        target_id = target_id if target_id is not None else getattr(target, "id", None)
    return {
        "actor_id": actor.id if actor else None,
        "actor_role": actor.role if actor else SYSTEM_ROLE,
        "impersonator_id": ctx.impersonator_id,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
        "reason": reason,
        "ip": ctx.ip,
        "created_at": now(),
    }


def record(actor: User | None, action: str, target: Any = None, *, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, reason: str | None = None,
           target_type: str | None = None, target_id: Any = None) -> None:
    """Add one append-only audit entry (actor None = SYSTEM) to the current unit of work: it
    lands together with the change it describes, or not at all."""
    stage_row(AuditEntry.__table__,
              entry(actor, action, target, before=before, after=after, reason=reason, target_type=target_type,
                    target_id=target_id))


# Which actions each viewer may read (DOMAIN.md "Audit").
HEAD_REGISTRAR_VISIBLE_PREFIXES = ("curriculum.", "term.", "section.", "offering.", "student.",
                                   "credit.", "enrollment.", "grade.", "document.", "schedule.")


def visible_entries(viewer: User) -> Select[AuditEntry]:
    """The audit query a viewer may see: admin all; head registrar registrar, grade and
    document actions; a registrar their own."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if viewer.role == Role.ADMIN.value:
        return query
    if viewer.role == Role.HEAD_REGISTRAR.value:
        conds = [AuditEntry.action.startswith(p) for p in HEAD_REGISTRAR_VISIBLE_PREFIXES]
        conds.append(AuditEntry.actor_role.in_([Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value]))
        return query.where(db.or_(*conds))
    return query.where(AuditEntry.actor_id == viewer.id)
