"""A web worker SIGKILLed in the middle of a payment's transaction (found through
pg_stat_activity: a backend with an open transaction, traced to the worker that owns its
socket): PostgreSQL rolls the transaction back, so nothing is half-written; the client's retry
with the same key records the payment once; the receipt numbers stay gapless."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.faults.harness import Load, gapless, ledger_facts, pay_forever


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _local_port_inodes(ports: set[int]) -> set[str]:
    """The inodes of this machine's TCP sockets whose local port is one of `ports`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) in ports:
                found.add(fields[9])
    return found


def _worker_in_transaction(stack, monitor) -> int | None:
    """A web worker whose database connection is inside a transaction right now."""
    ports = set(monitor.execute(text(
        "SELECT client_port FROM pg_stat_activity WHERE datname = 'richwell' AND xact_start IS NOT NULL "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")).scalars())
    if not ports:
        return None
    inodes = _local_port_inodes(ports)
    for pid in stack.web_workers():
        if _socket_inodes(pid) & inodes:
            return pid
    return None


def test_a_web_worker_killed_mid_transaction_leaves_nothing_half_written(stack):
    started = time.monotonic()
    seeded = stack.seed("setup", "30")
    stack.start_web(workers=2)
    load = Load()
    threads = [threading.Thread(target=pay_forever, args=(stack, load, seeded["token"], seeded["enrollments"][i::4]))
               for i in range(4)]
    for thread in threads:
        thread.start()
    engine = create_engine(stack.pg.url, isolation_level="AUTOCOMMIT")
    kills = 0
    try:
        time.sleep(2)
        load.phase = "kills"
        with engine.connect() as monitor:
            deadline = time.monotonic() + 20
            while kills < 4 and time.monotonic() < deadline:
                pid = _worker_in_transaction(stack, monitor)
                if pid is None:
                    time.sleep(0.005)
                    continue
                os.kill(pid, signal.SIGKILL)
                kills += 1
                time.sleep(1.0)  # let the master start a new worker
        load.phase = "after"
        time.sleep(3)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(90)
        engine.dispose()

    report = load.report()
    print(json.dumps(report, indent=1), f"kills mid-transaction: {kills}", f"{time.monotonic() - started:.1f} s")
    assert kills == 4, "never caught a worker inside a transaction"
    assert not load.statuses_anywhere(500), report
    assert load.statuses("payment", "after")[201] > 0, report
    facts = ledger_facts(stack.pg.url)
    assert facts["payments"] == len(set(load.paid_keys)) == len(load.paid_keys) == facts["keys"], (facts, report)
    assert gapless(facts["receipts"]) and len(facts["receipts"]) == facts["payments"]
    assert (facts["unbalanced"], facts["buckets_off"], facts["orphan_keys"], facts["keyless"]) == (0, 0, 0, 0)
