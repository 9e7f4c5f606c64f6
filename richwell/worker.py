"""The queue consumer's entry point: `huey_consumer richwell.worker.huey -w 2 -k thread -f`.

Building the app first configures the one `huey` from the same settings as the web
(REDIS_URL, HUEY_SQLITE_PATH, HUEY_NAME), and every task runs in this app's context.
"""
from __future__ import annotations

from richwell import create_app, tasks

app = create_app()
tasks.use_app(app)
huey = tasks.huey


@huey.on_startup()
def _watch_for_lost_runs() -> None:
    """Find runs whose worker was killed (stale heartbeat) every few seconds (once per process)."""
    tasks.start_stale_watch(app)

__all__ = ["app", "huey"]
