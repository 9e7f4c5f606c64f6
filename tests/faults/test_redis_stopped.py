"""Redis stopped under load: sign-ins and API payments keep working (rate limits fall back to
each worker's memory, queued work waits as PENDING runs), every answer is a success or a 503,
never a 500, and the ledger is whole afterwards. /readyz stays 200, marked degraded."""
from __future__ import annotations

import json
import threading
import time

from tests.faults.harness import Load, gapless, ledger_facts, pay_forever, sign_in_forever


def test_redis_stopped_during_sign_ins_and_api_payments(stack):
    started = time.monotonic()
    seeded = stack.seed("setup", "30")
    stack.start_web(workers=2)
    stack.start_consumer()
    load = Load()
    threads = [threading.Thread(target=sign_in_forever, args=(stack, load, seeded["cashier"])) for _ in range(2)]
    threads += [threading.Thread(target=pay_forever, args=(stack, load, seeded["token"], seeded["enrollments"][i::3]))
                for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        load.phase = "outage"
        stack.redis.stop()
        time.sleep(1)
        ready = stack.get("/readyz")
        time.sleep(5)
        load.phase = "after"
        stack.redis.start()
        time.sleep(4)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(60)

    report = load.report()
    print(json.dumps(report, indent=1), f"{time.monotonic() - started:.1f} s")
    assert not load.statuses_anywhere(500), report
    # Every answer in every phase is a success or a 503; sign-ins and payments kept succeeding
    # while Redis was down (the limiter fell back to memory).
    for what, ok in (("sign_in", {302}), ("payment", {200, 201})):
        assert set(load.statuses(what)) <= ok | {503}, report
        assert sum(load.statuses(what, "outage")[s] for s in ok) > 0, report
    assert ready[0] == 200 and json.loads(ready[2])["degraded"] == ["redis"], ready

    facts = ledger_facts(stack.pg.url)
    assert facts["payments"] == len(set(load.paid_keys)) == facts["keys"]
    assert gapless(facts["receipts"]) and len(facts["receipts"]) == facts["payments"]
    assert (facts["unbalanced"], facts["buckets_off"], facts["orphan_keys"], facts["keyless"]) == (0, 0, 0, 0)
