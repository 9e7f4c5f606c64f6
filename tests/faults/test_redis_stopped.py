"""Redis stopped under load: sign-ins and API payments keep working (rate limits fall back to
each worker's memory, queued work waits as PENDING runs), every answer is a success or a 503,
never a 500, and the ledger is whole afterwards. /readyz stays 200, marked degraded."""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter

from tests.faults.harness import gapless, ledger_facts


class Load:
    """Client threads that record what every answer was, per phase (before, outage, after)."""

    def __init__(self):
        self.phase = "before"
        self.seen: Counter[tuple[str, str, int | str]] = Counter()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.paid_keys: list[str] = []

    def note(self, what: str, status: int | str) -> None:
        with self.lock:
            self.seen[(self.phase, what, status)] += 1

    def statuses(self, what: str, phase: str | None = None) -> Counter:
        return Counter({s: n for (p, w, s), n in self.seen.items() if w == what and (phase is None or p == phase)})


def _sign_ins(stack, load: Load, email: str) -> None:
    while not load.stop.is_set():
        try:
            load.note("sign_in", stack.sign_in(email))
        except OSError as exc:
            load.note("sign_in", type(exc).__name__)


def _payments(stack, load: Load, token: str, enrollments: list[int]) -> None:
    n = 0
    while not load.stop.is_set():
        key, enrollment = f"fault-{uuid.uuid4()}", enrollments[n % len(enrollments)]
        n += 1
        for _ in range(60):  # the client retries with the same key until it has an answer
            try:
                status, _ = stack.pay(token, enrollment, "150.00", key)
            except OSError as exc:
                status = type(exc).__name__
            load.note("payment", status)
            if status in (200, 201):
                with load.lock:
                    load.paid_keys.append(key)
                break
            time.sleep(0.2)


def test_redis_stopped_during_sign_ins_and_api_payments(stack):
    started = time.monotonic()
    seeded = stack.seed("setup", "30")
    stack.start_web(workers=2)
    stack.start_consumer()
    load = Load()
    threads = [threading.Thread(target=_sign_ins, args=(stack, load, seeded["cashier"])) for _ in range(2)]
    threads += [threading.Thread(target=_payments, args=(stack, load, seeded["token"], seeded["enrollments"][i::3]))
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

    report = {f"{p}/{w}/{s}": n for (p, w, s), n in sorted(load.seen.items(), key=str)}
    print(json.dumps(report, indent=1), f"{time.monotonic() - started:.1f} s")
    assert not [k for (_, _, s), n in load.seen.items() for k in [s] if s == 500], report
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
