"""The audit trail: append-only (PostgreSQL refuses UPDATE and DELETE by trigger)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.people import User
from richwell.models.types import UTCDateTime, utcnow


class AuditEntry(Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None means SYSTEM (a background job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Set while an admin impersonates: who really acted.
    impersonator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20), default="system")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    impersonator: Mapped[User | None] = relationship(foreign_keys=[impersonator_id])

    @property
    def actor_label(self) -> str:
        return self.actor.email if self.actor else "SYSTEM"
