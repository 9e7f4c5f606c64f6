"""The hot paths' hand-written statements stay within psycopg's parse cache: past it, psycopg
parses the query again on every execution (10 % of a payment's CPU when the payment's
statement grew past it)."""
from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from richwell.services.enrollment import adding, commands, queries
from richwell.services.finance import ledger
from richwell.services.platform.sql import PSYCOPG_CACHED_QUERY_LENGTH

HOT = {
    "payment": (ledger._at_once_statement, "%(audit_after)s"),
    "add: seat and history": (adding._seat_and_history_statement, "%(off_id)s"),
    "add: save and week": (adding._save_and_week_statement, "%(audit_after)s"),
    "drop": (commands._drop_at_once_statement, "%(audit_after)s"),
    "add: locked choice": (lambda: queries._locked_choice_statement("postgresql"), "FOR UPDATE"),
}


@pytest.mark.parametrize("name", HOT)
def test_a_hot_statement_stays_within_psycopgs_parse_cache(name):
    build, landmark = HOT[name]
    compiled = str(build().compile(dialect=postgresql.dialect(paramstyle="pyformat")))
    assert landmark in compiled  # compiled as psycopg receives it
    assert len(compiled) <= PSYCOPG_CACHED_QUERY_LENGTH, len(compiled)
