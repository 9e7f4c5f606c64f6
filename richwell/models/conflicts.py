"""Schedule conflicts the nightly check found, remembered so each is reported once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow


class ScheduleConflict(Model):
    """Two overlapping slots of one term: same professor, same room or same section.

    One row per (kind, slot pair): the unique key is what makes the nightly job
    notify once per conflict however often it runs. A conflict that disappears
    is marked resolved; if it comes back it is reported again.
    """

    __tablename__ = "schedule_conflicts"
    __table_args__ = (UniqueConstraint("kind", "slot_a_id", "slot_b_id", name="uq_schedule_conflicts_kind_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # PROFESSOR | ROOM | SECTION
    # slot_a_id < slot_b_id; a deleted slot takes its conflicts with it.
    slot_a_id: Mapped[int] = mapped_column(ForeignKey("schedule_slots.id", ondelete="CASCADE"))
    slot_b_id: Mapped[int] = mapped_column(ForeignKey("schedule_slots.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    first_found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
