"""Getting credentials: an opaque API token, or a JWT access/refresh pair for mobile apps."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, request

from richwell.api.common import Blueprint, Text, token_endpoint_limit
from richwell.extensions import limiter
from richwell.services.platform import api_tokens
from richwell.services.platform.limits import SIGN_IN_ACCOUNT_SCOPE, sign_in_account_key

bp = Blueprint("api_auth", __name__, tag="Sign in", description="Sign in: API tokens and JWTs.")

# Stricter than the API-wide limit: these routes check passwords.
_strict = limiter.limit(token_endpoint_limit, override_defaults=False,
                        error_message="Too many sign-in attempts. Wait a minute, then try again.")


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_key() -> str:
    body = request.get_json(silent=True)
    return sign_in_account_key(body.get("username") if isinstance(body, dict) else None)


# The sign-in page's per-account budget, shared: guessing one account from many addresses
# is slowed whichever door it knocks on. Only refusals spend it.
_per_account = limiter.shared_limit(_account_limit, scope=SIGN_IN_ACCOUNT_SCOPE, key_func=_account_key,
                                    override_defaults=False,
                                    deduct_when=lambda response: response.status_code >= 400,
                                    error_message="Too many sign-in attempts for this account. "
                                                  "Wait a minute, then try again.")


class CredentialsSchema(ma.Schema):
    username = Text(required=True, validate=ma.validate.Length(min=1, max=254),
                                metadata={"description": "Email address or student number (YYYY-NNNNN)",
                                          "example": "2026-00042"})
    password = Text(required=True, validate=ma.validate.Length(min=1, max=128),
                                metadata={"format": "password"})


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True, metadata={"description": "Send as `Authorization: Token <token>`"})


class JwtPairSchema(ma.Schema):
    access = ma.fields.String(required=True, metadata={"description": "15 minutes; `Authorization: Bearer <access>`"})
    refresh = ma.fields.String(required=True, metadata={"description": "7 days; exchange at /api/v1/auth/jwt/refresh/"})


class RefreshSchema(ma.Schema):
    refresh = Text(required=True, validate=ma.validate.Length(min=1, max=api_tokens.CREDENTIAL_MAX))


class AccessSchema(ma.Schema):
    access = ma.fields.String(required=True)


@bp.route("/api-token-auth/", methods=["POST"])
@_strict
@_per_account
@bp.arguments(CredentialsSchema)
@bp.response(200, TokenSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def token_auth(credentials):
    """Get an API token

    Email or student number and password, as on the sign-in page. The token is shown only
    now (it is stored hashed), expires after the `api_token_days` setting and can be revoked
    on the /tokens/ page. Wrong credentials answer 401 with one generic message.
    """
    user = api_tokens.sign_in(credentials["username"], credentials["password"])
    _, secret = api_tokens.issue_token(user, "Issued by POST /api-token-auth/")
    return {"token": secret}


@bp.route("/api/v1/auth/jwt/", methods=["POST"])
@_strict
@_per_account
@bp.arguments(CredentialsSchema)
@bp.response(200, JwtPairSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def jwt_pair(credentials):
    """Get a JWT access and refresh token (mobile apps)

    The pair ends with the user's sessions: a password change, a reset, a deactivation or
    signing out on the website makes both invalid.
    """
    user = api_tokens.sign_in(credentials["username"], credentials["password"])
    return api_tokens.issue_jwt_pair(user)


@bp.route("/api/v1/auth/jwt/refresh/", methods=["POST"])
@_strict
@bp.arguments(RefreshSchema)
@bp.response(200, AccessSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def jwt_refresh(body):
    """Exchange a refresh JWT for a new access JWT"""
    return api_tokens.refresh_access(body["refresh"])
