"""The queue consumer SIGKILLed in the middle of an online-payment import: Huey never delivers
the lost messages again, but their job runs stop beating, the every-minute sweep queues them
again, and after a restart the import finishes within 2 minutes, each row recorded once."""
from __future__ import annotations

import json
import os
import signal
import time

from sqlalchemy import create_engine, text

from tests.faults.harness import gapless, ledger_facts

ROWS = 200  # one chunk (500 rows a chunk); the machine's load, not recovery, sets how long rows take


def _counts(conn, import_id: int) -> dict:
    rows = conn.execute(text("SELECT status, count(*) FROM payment_import_rows WHERE import_id = :i GROUP BY status"),
                        {"i": import_id}).all()
    status = conn.execute(text("SELECT status FROM payment_imports WHERE id = :i"), {"i": import_id}).scalar()
    return {"import": status, **{s: n for s, n in rows}}


def test_the_consumer_killed_mid_import_finishes_within_two_minutes_of_a_restart(stack):
    started = time.monotonic()
    stack.seed("setup", "30")
    import_id = stack.seed("import", str(ROWS))["import_id"]
    stack.start_consumer()
    engine = create_engine(stack.pg.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:  # some rows recorded, most still waiting
                counts = _counts(conn, import_id)
                if counts.get("RECORDED", 0) >= 20:
                    break
                time.sleep(0.05)
            os.killpg(stack.consumer.pid, signal.SIGKILL)
            stack.consumer.wait(10)
            at_kill = _counts(conn, import_id)
            running = conn.execute(text("SELECT count(*) FROM job_runs WHERE task = 'import_payment_rows' "
                                        "AND outcome = 'RUNNING'")).scalar()
            assert at_kill.get("PENDING", 0) > 0 and running > 0, at_kill  # killed mid-import

            stack.start_consumer()
            restarted = time.monotonic()
            requeued_after = None
            while time.monotonic() - restarted < 150:
                counts = _counts(conn, import_id)
                if requeued_after is None and conn.execute(text(
                        "SELECT count(*) FROM job_runs WHERE outcome = 'REQUEUED'")).scalar():
                    requeued_after = time.monotonic() - restarted
                if counts["import"] == "DONE":
                    break
                time.sleep(0.5)
            took = time.monotonic() - restarted
            runs = dict(conn.execute(text("SELECT outcome, count(*) FROM job_runs WHERE task = 'import_payment_rows' "
                                          "GROUP BY outcome")).all())
            every_run = [tuple(r) for r in conn.execute(text(
                "SELECT task, outcome, count(*), max(heartbeat_at)::text FROM job_runs GROUP BY 1, 2 ORDER BY 1, 2"))]
            recorded_once = conn.execute(text(
                "SELECT count(*) = count(DISTINCT reference_number) FROM payments WHERE method = 'GCASH'")).scalar()
    finally:
        engine.dispose()

    print(json.dumps({"at_kill": at_kill, "done": counts, "runs": runs}), f"re-queued {requeued_after} s and "
          f"finished {took:.1f} s after the restart", f"{time.monotonic() - started:.1f} s in all")
    # The lost run is found within its heartbeat's staleness plus one look of the stale watch.
    assert requeued_after is not None and requeued_after <= 45, (requeued_after, every_run)
    assert counts["import"] == "DONE" and took <= 120, (counts, took, every_run)
    assert counts.get("RECORDED") == ROWS and "PENDING" not in counts, counts
    assert runs.get("REQUEUED", 0) >= 1 and "RUNNING" not in runs, runs
    facts = ledger_facts(stack.pg.url)
    assert facts["payments"] == ROWS and recorded_once
    assert gapless(facts["receipts"]) and len(facts["receipts"]) == ROWS
    assert (facts["unbalanced"], facts["buckets_off"], facts["orphan_keys"], facts["keyless"]) == (0, 0, 0, 0)
