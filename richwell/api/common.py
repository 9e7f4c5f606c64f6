"""What every API module shares: the blueprint class (auth guard, throttle, CSRF exemption,
OpenAPI security), the request parser (errors in the one error shape), field types (money,
ids, UTC datetimes), the error and page schemas, pagination, and who is calling.

Errors themselves are answered by `richwell.web.errors` (one JSON error path for /api/).
"""
from __future__ import annotations

import json
import logging
import re
from datetime import timezone
from decimal import Decimal
from urllib.parse import urlencode

import marshmallow as ma
from flask import after_this_request, current_app, g, request
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from richwell.extensions import db, limiter
from richwell.models import Role, User
from richwell.services.platform import api_tokens, links
from richwell.services.platform.errors import Forbidden, ValidationError
from richwell.services.platform.limits import MAX_ID, MAX_PAGE, PAGE_SIZE

# Ids arrive in URLs and bodies; beyond PostgreSQL's integer no row can exist (and SQLite
# refuses integers past 64 bits), so larger numbers answer 404/400 instead of reaching the db.
MAX_MONEY = Decimal("1000000.00")
SURROGATE = re.compile("[\ud800-\udfff]")
STORABLE_PATTERN = r"^[^\x00]*$"  # documented, so "valid" input is storable (no NUL)
MONEY_TEXT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,20})?$")
AUTH_SCHEMES = ("token", "bearer")
WWW_AUTHENTICATE = 'Token realm="api", Bearer realm="api"'
SECURITY: list[dict[str, list[str]]] = [{"tokenAuth": []}, {"bearerAuth": []}]
AUTH_CACHE = "richwell.api_auth"
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- who is calling

def _credential() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in AUTH_SCHEMES and value.strip():
        return value.strip()
    return None


Refusal = api_tokens.Unauthenticated | api_tokens.PasswordChangeRequired


def _resolve() -> tuple[User | None, Refusal | None]:
    """(user, refusal) for this request's Authorization header, worked out once per request.
    Session cookies never count: the API is token-only, so CSRF cannot reach it."""
    # Kept on the request itself: an app context (and its `g`) may outlive one request.
    if AUTH_CACHE not in request.environ:
        result: tuple[User | None, Refusal | None]
        credential = _credential()
        if credential is None:
            result = (None, api_tokens.Unauthenticated(
                "Send an API token: Authorization: Token <token> (or Bearer <token>)."))
        else:
            try:
                caller = api_tokens.caller_for_credential(credential)
                result = (caller.user, None)
                # Who the request log line names (richwell.web.observability reads it).
                g.log_user = (caller.user.id, caller.user.role)
                if caller.used_at is not None:
                    after_this_request(_record_use_once_sent(caller))
            except (api_tokens.Unauthenticated, api_tokens.PasswordChangeRequired) as refusal:
                result = (None, refusal)
        request.environ[AUTH_CACHE] = result
    return request.environ[AUTH_CACHE]


def _record_use_once_sent(caller: api_tokens.Caller):
    """The token's last-used time, written once the answer has gone to the client (its own short
    transaction, in an app context of its own: the request's has ended by then). Nobody waits
    for this bookkeeping: in a rush, every student's first call of the minute did, for a commit
    of its own. A failure is logged and never spoils the answer."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def record() -> None:
        try:
            with app.app_context():
                api_tokens.record_use(caller)
        except SQLAlchemyError:
            log.warning("could not record the use of API token %s", caller.token_id, exc_info=True)

    def once_sent(response):
        response.call_on_close(record)
        return response

    return once_sent


def api_user() -> User:
    """The authenticated API caller, or raise 401 (no/invalid credential) or 403."""
    user, refusal = _resolve()
    if user is None:
        assert refusal is not None  # _resolve answers a user or a refusal, never neither
        raise refusal
    return user


def _throttle_key() -> str:
    user, _ = _resolve()
    return f"user:{user.id}" if user is not None else f"ip:{request.remote_addr}"


def _throttle_limit() -> str:
    user, _ = _resolve()
    key = "API_RATE_LIMIT_AUTHENTICATED" if user is not None else "API_RATE_LIMIT_ANONYMOUS"
    return current_app.config[key]


def token_endpoint_limit() -> str:
    return current_app.config["API_TOKEN_RATE_LIMIT"]


# ---------------------------------------------------------------- request parsing

def _flatten(messages) -> dict[str, list[str]]:
    """webargs' {location: {field: [msg]}} (nested for nested fields) as {"a.b": [msg]}."""
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            fields.setdefault(prefix or "_schema", []).extend(value)
        elif isinstance(value, (list, tuple)):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            fields.setdefault(prefix or "_schema", []).append(str(value))

    for location_messages in (messages or {}).values():
        walk("", location_messages)
    general = fields.pop("_schema", None)
    if general:
        fields["body"] = general
    return fields


class ApiParser(FlaskParser):
    """webargs parser whose every refusal is a 400 `invalid` with the fields at fault."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        body = req.get_data(cache=True)
        if not is_json_request(req):
            if body:
                raise ValidationError("Send the body as JSON with the header Content-Type: application/json.")
            return core.missing
        try:
            return core.parse_json(body)
        except json.JSONDecodeError:
            raise  # webargs turns an empty body into "missing" and the rest into the handler below
        except (ValueError, RecursionError):
            # Integers past Python's digit limit, or nesting deep enough to exhaust the stack.
            raise ValidationError("The request body is not JSON this API can read.") from None

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise ValidationError("The request body is not valid JSON.")

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise ValidationError("Some fields are not valid.", fields=_flatten(error.messages))


class Blueprint(SmorestBlueprint):
    """An API blueprint: JSON errors, throttled, CSRF-exempt (token auth only), and, when
    `roles` is given, guarded: 401 without a valid credential, 403 for another role.
    `roles=()` means any signed-in user."""

    ARGUMENTS_PARSER = ApiParser()

    def __init__(self, *args, roles: tuple[Role, ...] | None = None, tag: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag or self.name
        self.roles = None if roles is None else {Role(r).value for r in roles}
        self._prepare_doc_cbks.append(self._prepare_common_doc)
        if self.roles is not None:
            self.before_request(self._guard)
        self.after_request(_challenge)
        # One counter per caller across the whole API (anonymous by address, signed-in by user).
        limiter.shared_limit(_throttle_limit, scope="api", key_func=_throttle_key,
                             error_message="Too many requests; slow down and try again later.")(self)

    def arguments(self, schema, *args, **kwargs):
        """One schema instance per endpoint, made here: given a class, webargs would build one
        (copying every declared field) on each request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def route(self, rule, *, parameters=None, tags=None, **options):
        """Operations are grouped in the docs under the blueprint's readable tag."""
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)

    def _guard(self):
        user = api_user()
        if self.roles and user.role not in self.roles:
            raise Forbidden("Your account's role may not use this part of the API.")
        return None

    def _prepare_common_doc(self, doc, doc_info, **kwargs):
        responses = doc.setdefault("responses", {})
        if self.roles is not None:
            doc["security"] = SECURITY
            responses.setdefault(401, "UNAUTHORIZED")
            responses.setdefault(403, "FORBIDDEN")
        responses.setdefault(429, "TOO_MANY_REQUESTS")
        return doc


def _challenge(response):
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    return response


# ---------------------------------------------------------------- fields and schemas

class Money(ma.fields.Field):
    """Pesos as a JSON string with exactly 2 decimals ("5000.00"); never a float either way."""

    def __init__(self, **kwargs):
        metadata = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "5000.00",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    default_error_messages = {
        "invalid": "Enter an amount as a string like \"1500.00\".",
        "places": "An amount may have at most 2 decimals.",
        "range": "Enter an amount more than 0 and at most 1,000,000.00.",
    }

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return f"{Decimal(value).quantize(Decimal('0.01')):.2f}"

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not MONEY_TEXT.match(value.strip()):
            raise self.make_error("invalid")
        amount = Decimal(value.strip())
        if amount != amount.quantize(Decimal("0.01")):
            raise self.make_error("places")
        if amount <= 0 or amount > MAX_MONEY:
            raise self.make_error("range")
        return amount.quantize(Decimal("0.01"))


class Text(ma.fields.String):
    """A string the database can store: no NUL character (PostgreSQL refuses it) and no lone
    UTF-16 surrogate (JSON can spell one, UTF-8 cannot encode it)."""

    default_error_messages = {"unstorable": "Remove the control or unpaired surrogate characters."}

    def __init__(self, **kwargs):
        metadata = {"pattern": STORABLE_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text or SURROGATE.search(text):
            raise self.make_error("unstorable")
        return text


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 (reads like a field class)
    """A row id in a body or query: a real JSON integer within the database's range."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class UTCDateTime(ma.fields.DateTime):
    """ISO 8601 with the UTC offset spelled out (+00:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat()


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "invalid"})
    message = ma.fields.String(required=True, metadata={"example": "Some fields are not valid."})
    # Named with data_key: `fields` is the name of marshmallow's own attribute on a schema.
    field_errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), required=True,
                                  data_key="fields")


class ErrorSchema(ma.Schema):
    """Every error of the API: {"error": {"code", "message", "fields"}}."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE),
                             metadata={"description": "Page number, from 1; 20 results per page."})


_page_schemas: dict[type, type] = {}


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The documented page envelope {count, next, previous, results} around an item schema."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(name, (ma.Schema,), {
            "count": ma.fields.Integer(required=True),
            "next": ma.fields.String(required=True, allow_none=True, metadata={"format": "uri"}),
            "previous": ma.fields.String(required=True, allow_none=True, metadata={"format": "uri"}),
            "results": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        })
    return _page_schemas[item_schema]


def _page_url(number: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(number)]
    return f"{links.public_url(request.script_root + request.path)}?{urlencode(args, doseq=True)}"


def paginate(statement, page: int) -> dict:
    """One page of 20 rows of a select(), as {count, next, previous, results} with absolute
    next/previous URLs. A page past the end is empty (its `previous` still leads back)."""
    count = db.session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    rows = list(db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    last = max(1, -(-count // PAGE_SIZE))
    return {
        "count": count,
        "next": _page_url(page + 1) if page < last else None,
        "previous": _page_url(min(page - 1, last)) if page > 1 else None,
        "results": rows,
    }
