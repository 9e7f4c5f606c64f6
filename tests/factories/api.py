"""Builders for API credentials."""
from __future__ import annotations

from datetime import timedelta

from richwell.extensions import db
from richwell.models import User
from richwell.services.platform import api_tokens
from richwell.services.platform.clock import now

__all__ = ["make_api_token", "token_headers"]


def make_api_token(user: User, *, name: str = "test token", expired: bool = False,
                   revoked: bool = False) -> str:
    """A token secret for this user (issued through the service), optionally already dead."""
    token, secret = api_tokens.issue_token(user, name)
    if expired:
        token.expires_at = now() - timedelta(seconds=1)
    if revoked:
        token.revoked_at = now()
    db.session.commit()
    return secret


def token_headers(secret: str, scheme: str = "Token") -> dict[str, str]:
    return {"Authorization": f"{scheme} {secret}"}


