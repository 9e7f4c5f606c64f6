"""Before web or worker starts: the configuration is valid and PostgreSQL and Redis answer.

Waits up to STARTUP_WAIT_SECONDS (default 60) for the database and Redis, then exits 1 with
a message naming the part that is missing, so an orchestrator shows why the container stops
instead of a gunicorn worker crashing in a loop.
"""
from __future__ import annotations

import os
import sys
import time


def main() -> int:
    from richwell.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as error:
        print(f"richwell: configuration error: {error}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + float(os.environ.get("STARTUP_WAIT_SECONDS") or 60)
    failing: dict[str, str] = {}
    while True:
        failing = {}
        try:
            from sqlalchemy import create_engine, text

            engine = create_engine(config["SQLALCHEMY_DATABASE_URI"], connect_args=_timeout(config))
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable yet"
            failing["database"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if config.get("REDIS_URL"):
            try:
                import redis

                redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=3).ping()
            except Exception as exc:  # noqa: BLE001
                failing["redis"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        if not failing:
            return 0
        if time.monotonic() > deadline:
            for part, reason in failing.items():
                print(f"richwell: {part} is unreachable: {reason}", file=sys.stderr)
            return 1
        time.sleep(2)


def _timeout(config: dict) -> dict:
    return {"connect_timeout": 3} if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else {}


if __name__ == "__main__":
    sys.exit(main())
