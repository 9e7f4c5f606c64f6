"""Racing real threads against the database: the harness the concurrency tests share."""
from __future__ import annotations

import threading

from richwell.extensions import db


def run_together(app, count: int, work) -> tuple[list, list]:
    """Run work(i) in `count` threads released at the same instant; collect results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def runner(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcome = work(i)
                with lock:
                    results.append(outcome)
            except Exception as exc:  # noqa: BLE001 - collected and asserted on
                with lock:
                    errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results, errors
