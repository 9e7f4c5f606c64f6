"""PostgreSQL restarted mid-load (immediate mode: every connection drops, crash recovery runs):
clients that retry with their one-time keys record every payment exactly once, the official
receipt numbers stay gapless, and no answer is a 500 (an outage is a 503 with Retry-After)."""
from __future__ import annotations

import json
import threading
import time

from tests.faults.harness import Load, gapless, ledger_facts, pay_forever


def test_postgres_restarted_mid_load_records_each_payment_once(stack):
    started = time.monotonic()
    seeded = stack.seed("setup", "30")
    stack.start_web(workers=2)
    load = Load()
    threads = [threading.Thread(target=pay_forever, args=(stack, load, seeded["token"], seeded["enrollments"][i::4]))
               for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        load.phase = "outage"
        stack.pg.restart("immediate")
        load.phase = "after"
        time.sleep(4)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(90)

    report = load.report()
    print(json.dumps(report, indent=1), f"{time.monotonic() - started:.1f} s")
    assert not load.statuses_anywhere(500), report
    assert set(load.statuses("payment")) <= {200, 201, 503, "RemoteDisconnected", "ConnectionResetError"}, report
    assert load.statuses("payment", "after")[201] > 0, report  # the workers reconnected
    facts = ledger_facts(stack.pg.url)
    # Every key the clients were answered for is one payment, no key twice, nothing lost.
    assert facts["payments"] == len(set(load.paid_keys)) == len(load.paid_keys) == facts["keys"], (facts, report)
    assert gapless(facts["receipts"]) and len(facts["receipts"]) == facts["payments"]
    assert (facts["unbalanced"], facts["buckets_off"], facts["orphan_keys"], facts["keyless"]) == (0, 0, 0, 0)
