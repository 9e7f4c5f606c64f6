"""API access tokens: only a hash of the secret is stored; the secret is shown once."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.people import User


class ApiToken(Model):
    """An opaque API token of one user: revocable, expiring, with its last use recorded."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 hex of the secret: a leaked table does not hand out working tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, so the owner can tell their tokens apart in the list.
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owner's credentials version when the token was made: a password change, a reset or
    # a deactivation bumps the user's, and the token no longer matches (checked in the lookup).
    credentials_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    user: Mapped[User] = relationship()

    def is_usable(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at

    def state(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if at < self.expires_at else "expired"
