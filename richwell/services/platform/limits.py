"""Every input limit that more than one layer checks, defined once: services enforce them,
forms and the API declare them (so a bad value is refused at the field, before a service runs)."""
from __future__ import annotations

import re
from decimal import Decimal

#: The largest amount of one payment (a whole year's tuition fits; a typo of extra zeros does not).
MAX_PAYMENT = Decimal("1000000.00")
#: Money written as text: at most this many characters (digits, separators, point, sign).
AMOUNT_TEXT_MAX = 20
#: The largest id any table hands out (PostgreSQL INTEGER); larger ids are refused as input.
MAX_ID = 2_147_483_647
#: A one-time (idempotency) key: 8-100 letters, digits, and _ - : . (a UUID fits).
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{8,100}$"
IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)
#: Rows per page of a list: the API's fixed page, and the staff lists' default.
PAGE_SIZE = 20
STAFF_PAGE_SIZE = 25
#: The highest page number accepted (beyond it every list is empty anyway).
MAX_PAGE = 1_000_000


#: Flask-Limiter scope of the per-account sign-in budget, shared by the sign-in page and the
#: API's credential endpoints.
SIGN_IN_ACCOUNT_SCOPE = "sign-in-account"


def sign_in_account_key(identifier: object) -> str:
    """The per-account sign-in bucket of an identifier as typed (a known account or not), read
    the way sign-in reads it (spaces and case do not make a new bucket)."""
    text = identifier.strip().lower()[:254] if isinstance(identifier, str) else ""
    return "login-account:" + text
