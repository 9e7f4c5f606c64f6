"""Connection pool checks without a round trip per request.

`pool_pre_ping` pings on every checkout: under load that is one extra round trip per
request for connections that were in use a moment ago. Instead a connection is pinged
only when it has sat idle in the pool longer than IDLE_PING_SECONDS (where a restart or a
firewall may have dropped it); a failed ping raises DisconnectionError, on which the pool
throws the connection away and checks out another (SQLAlchemy's documented pessimistic
handling). Connections are also recycled by age (`pool_recycle`, set in config).
"""
from __future__ import annotations

from time import monotonic  # bound here: a test that fakes time.monotonic must not reach the pool

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_PING_SECONDS = 10.0
_RETURNED = "richwell.returned_at"


def configure(engine: Engine) -> None:
    """Ping only connections that idled in the pool (not for SQLite: a file cannot drop)."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, connection_record) -> None:
        connection_record.info[_RETURNED] = monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, connection_record, connection_proxy) -> None:
        returned = connection_record.info.get(_RETURNED)
        if returned is None or monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: the connection is gone
            raise exc.DisconnectionError() from error
