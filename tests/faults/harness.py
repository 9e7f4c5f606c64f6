"""The fault suite's servers, each test's own: a PostgreSQL cluster (initdb into a temporary
folder), a redis-server, gunicorn web workers and a Huey consumer, all on spare ports, all
stopped by the test that started them. Plus the small HTTP client the load uses."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from tests.servers import BIN, port_open, spare_port, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
def _pg_bin() -> Path:
    """PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's layout)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if
                   p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
PASSWORD = "bench-password-9"  # what tests/benchmarks/bench_payments.prepare_database sets
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres account then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def missing_tools() -> str | None:
    """Why the fault suite cannot run here (None when it can)."""
    if not (PG_BIN / "initdb").exists():
        return f"needs PostgreSQL's initdb at {PG_BIN} (set PG_BIN)"
    if shutil.which("redis-server") is None:
        return "needs redis-server"
    return None


class PostgresCluster:
    """A throwaway cluster: trust authentication on 127.0.0.1 only, fsync off (the tests crash
    processes, never the machine)."""

    def __init__(self):
        self.port = spare_port()
        # Its own folder under /tmp: pytest's are private to root, and postgres must own this one.
        self.dir = Path(tempfile.mkdtemp(prefix="richwell-faults-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                     "--auth=trust", "--no-sync", "-E", "UTF8"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/richwell"

    def _ctl(self, *args: str) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                     "-o", options, "-w", "-t", "60", *args]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def restart(self, mode: str = "immediate") -> None:
        """Immediate mode is a crash for the clients: every connection drops, recovery runs."""
        self._ctl("restart", "-m", mode)

    def create_database(self) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE richwell"))
        admin.dispose()

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A redis-server with nothing on disk, stoppable and startable again on the same port."""

    def __init__(self, workdir: Path):
        self.port = spare_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = start(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(self.workdir)], log=self.workdir / "redis.log")
        wait_for(lambda: port_open(self.port), 20, "redis-server", self.process)

    def stop(self) -> None:
        stop(self.process, signal.SIGKILL)
        wait_for(lambda: not port_open(self.port), 10, "redis-server to stop")


class Portal:
    """The portal against its own cluster and Redis: migrate, seed, gunicorn, the consumer."""

    def __init__(self, workdir: Path, pg: PostgresCluster, redis: RedisServer, **settings: str):
        self.workdir, self.pg, self.redis = workdir, pg, redis
        self.port = spare_port()
        self.base = f"127.0.0.1:{self.port}"
        self.web: subprocess.Popen | None = None
        self.consumer: subprocess.Popen | None = None
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))},
                    "RICHWELL_ENV": "development", "SECRET_KEY": "fault-suite-secret",
                    "DATABASE_URL": pg.url, "REDIS_URL": redis.url, "HUEY_NAME": f"faults-{uuid.uuid4().hex[:8]}",
                    "HUEY_IMMEDIATE": "0", "UPLOAD_FOLDER": str(workdir / "uploads"),
                    "RECEIPT_FOLDER": str(workdir / "receipts"), "LOGIN_RATE_LIMIT": "10000 per minute",
                    "API_RATE_LIMIT_AUTHENTICATED": "1000000 per hour", "API_TOKEN_RATE_LIMIT": "10000 per minute",
                    "PYTHONPATH": str(ROOT), **settings}

    def run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([str(BIN / "python"), *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def seed(self, *args: str) -> dict:
        """Migrate and seed through tests/faults/seed.py (its own process: no global state here)."""
        return json.loads(self.run("-m", "tests.faults.seed", *args).strip().splitlines()[-1])

    def start_web(self, workers: int = 2) -> None:
        self.web = start([str(BIN / "gunicorn"), "-w", str(workers), "-b", self.base, "--graceful-timeout", "2",
                          "--timeout", "60", "--log-level", "warning", "wsgi:app"],
                         log=self.workdir / "gunicorn.log", env=self.env, cwd=str(ROOT))
        wait_for(lambda: self.get("/healthz")[0] == 200, 60, "gunicorn", self.web)

    def start_consumer(self) -> None:
        self.consumer = start([str(BIN / "huey_consumer"), "richwell.worker.huey", "-w", "2", "-k", "thread",
                               "-f", "-d", "0.05", "-m", "0.2", "-b", "1.0"],
                              log=self.workdir / "consumer.log", env=self.env, cwd=str(ROOT))

    def web_workers(self) -> list[int]:
        """The gunicorn workers' pids (children of the master)."""
        assert self.web is not None
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if stat.rsplit(")", 1)[1].split()[1] == str(self.web.pid):
                    pids.append(int(entry.name))
        return pids

    def close(self) -> None:
        stop(self.consumer)
        stop(self.web)

    # --- HTTP ------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.base, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        return self.request("GET", path, headers=headers)

    def sign_in(self, identifier: str, password: str = PASSWORD) -> int:
        """The real login form: GET it for the CSRF token and cookie, then POST. The status."""
        status, headers, page = self.get("/login")
        if status != 200:
            return status
        token = CSRF_RE.search(page.decode())
        cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
        form = f"csrf_token={token.group(1) if token else ''}&identifier={identifier}&password={password}"
        status, _, _ = self.request("POST", "/login", form.encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        return status

    def pay(self, token: str, enrollment_id: int, amount: str, key: str) -> tuple[int, dict]:
        body = json.dumps({"enrollment_id": enrollment_id, "amount": amount, "method": "CASH"}).encode()
        status, _, data = self.request("POST", "/api/v1/cashier/payment/record_payment/", body, {
            "Content-Type": "application/json", "Authorization": f"Token {token}", "Idempotency-Key": key})
        try:
            return status, json.loads(data or b"{}")
        except ValueError:
            return status, {"raw": data[:300].decode(errors="replace")}


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

    def statuses_anywhere(self, status: int | str) -> int:
        return sum(n for (_, _, s), n in self.seen.items() if s == status)

    def report(self) -> dict[str, int]:
        return {f"{p}/{w}/{s}": n for (p, w, s), n in sorted(self.seen.items(), key=str)}


def sign_in_forever(stack, load: Load, email: str) -> None:
    while not load.stop.is_set():
        try:
            load.note("sign_in", stack.sign_in(email))
        except OSError as exc:
            load.note("sign_in", type(exc).__name__)


def pay_forever(stack, load: Load, token: str, enrollments: list[int]) -> None:
    n = 0
    while not load.stop.is_set():
        key, enrollment = f"fault-{uuid.uuid4()}", enrollments[n % len(enrollments)]
        n += 1
        for _ in range(60):  # the client retries with the same key until it has an answer
            try:
                status, _ = stack.pay(token, enrollment, "150.00", key)
            except (OSError, http.client.HTTPException) as exc:
                # A worker killed mid-answer: the connection drops, or the body stops short
                # (IncompleteRead). Either way the client does not know, and retries its key.
                status = type(exc).__name__
            load.note("payment", status)
            if status in (200, 201):
                with load.lock:
                    load.paid_keys.append(key)
                break
            time.sleep(0.2)


def ledger_facts(url: str) -> dict:
    """What the ledger holds, read straight from the database: the invariants' raw material."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        facts = {
            "payments": conn.execute(text("SELECT count(*) FROM payments WHERE kind = 'PAYMENT'")).scalar(),
            "receipts": conn.execute(text("SELECT receipt_number FROM payments WHERE receipt_number IS NOT NULL "
                                          "ORDER BY receipt_number")).scalars().all(),
            "keys": conn.execute(text("SELECT count(*) FROM idempotency_records")).scalar(),
            # Every payment's allocations add up to its amount less what went to credit.
            "unbalanced": conn.execute(text(
                "SELECT count(*) FROM payments p LEFT JOIN (SELECT payment_id, sum(amount) s FROM payment_allocations "
                "GROUP BY payment_id) a ON a.payment_id = p.id "
                "WHERE p.kind = 'PAYMENT' AND coalesce(a.s, 0) + p.credit_change <> p.amount")).scalar(),
            # Every month's paid total is the sum of its allocations.
            "buckets_off": conn.execute(text(
                "SELECT count(*) FROM month_buckets b LEFT JOIN (SELECT month_bucket_id, sum(amount) s "
                "FROM payment_allocations GROUP BY month_bucket_id) a ON a.month_bucket_id = b.id "
                "WHERE coalesce(a.s, 0) <> b.paid")).scalar(),
            "orphan_keys": conn.execute(text(
                "SELECT count(*) FROM idempotency_records i LEFT JOIN payments p ON p.id = i.payment_id "
                "WHERE p.id IS NULL")).scalar(),
            # Payments without a key record (a key's record and its payment commit together).
            "keyless": conn.execute(text(
                "SELECT count(*) FROM payments p WHERE p.kind = 'PAYMENT' AND NOT EXISTS "
                "(SELECT 1 FROM idempotency_records i WHERE i.payment_id = p.id)")).scalar(),
        }
    engine.dispose()
    return facts


def gapless(receipts: list[str]) -> bool:
    """OR-YYYY-000001 … OR-YYYY-N for each year, nothing skipped or repeated."""
    by_year: dict[str, list[int]] = {}
    for number in receipts:
        _, year, serial = number.split("-")
        by_year.setdefault(year, []).append(int(serial))
    return all(sorted(s) == list(range(1, len(s) + 1)) for s in by_year.values())
