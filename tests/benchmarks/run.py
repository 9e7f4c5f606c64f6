"""The speed benchmark in one command: real HTTP against a server on PostgreSQL.

    .venv/bin/python tests/benchmarks/run.py                       # gunicorn, 2 sync workers, 50 clients
    .venv/bin/python tests/benchmarks/run.py --server gthread -w 2 -t 4
    .venv/bin/python tests/benchmarks/run.py --server granian -w 2

Not collected by pytest. What it does:
1. Builds a fresh database (default `t_speed_bench`): the enrollment bench's catalogue
   (bench_enrollment.build: 8 programs x 10 subjects x 7 sections, students with month 1
   paid), plus P students with nothing paid for the cashiers, C cashiers, and an opaque API
   token for every cashier and student (made by the portal's own service).
2. Starts the server on tests/benchmarks/counted_app.py (the app plus an X-SQL-Statements
   header), RICHWELL_ENV=production, RATELIMIT_ENABLED=0, the queue on Redis.
3. Four measured phases, each with C concurrent clients on keep-alive connections:
     floor          GET /readyz (the cheapest request that touches the database)
     API payments   POST /api/v1/cashier/payment/record_payment/ (2 % sent twice, same key)
     web payments   GET the payment form partial, then POST it as the HTMX terminal does
     API enrolls    POST /api/v1/student/enrollment/{id}/enroll_subject/ (6-8 subjects
                    per student; full sections, clashes and the unit cap refused on the way)
   For each: requests/s, p50/p95/p99, SQL statements per request, and CPU milliseconds per
   request of the server (gunicorn/granian and every child, from /proc) and of PostgreSQL
   (the backends serving the bench database, from /proc), before/after the phase.
4. Every integrity check afterwards: the ledger (gapless unique receipts, allocations +
   credit = amount, buckets + credit = money in, months in order, permits match their month,
   one notification/audit/idempotency record per payment, replays answer the first receipt)
   and the enrollments (no section over capacity, counts equal rows, unit cap, every refusal
   borne out by the final state). Exit status 1 on any failed check or request error.

CPU per request is the figure to compare between runs: throughput moves with whatever else
shares the machine's cores.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_enrollment as enroll_bench  # noqa: E402
from bench_enrollment import ROOT, Catalogue, CpuMeter, Outcome, free_port  # noqa: E402
from bench_payments import flush_queue  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/t_speed_bench"
SECRET = enroll_bench.SECRET
AMOUNTS = ["2500.00", "5000.00", "5000.00", "5000.00", "7500.00", "1234.56", "10000.00", "12000.50"]
COMMITMENT_CENTS = 500000  # PHP 5,000.00 a month, six months
KEY_RE = enroll_bench.re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
CSRF_RE = enroll_bench.re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECEIPT_RE = enroll_bench.re.compile(r"OR-\d{4}-\d{6}")


# --------------------------------------------------------------------------------------------
# 1. The database
# --------------------------------------------------------------------------------------------

@dataclass
class Fixture:
    catalogue: Catalogue
    payers: list[tuple[int, int]]  # (student_id, term_enrollment_id), nothing paid yet
    cashiers: list[tuple[int, str]]  # (user_id, API token)
    student_tokens: dict[int, str]  # student_id -> API token


def build(url: str, students: int, payers: int, cashiers: int, seed: int) -> Fixture:
    enroll_bench.fresh_database(url)
    enroll_bench.migrate(url)
    catalogue = enroll_bench.build(url, students + payers, seed)
    # The last P students pay from nothing: month 1 unpaid, so the ledger's books start at zero.
    payer_rows, catalogue.students = catalogue.students[students:], catalogue.students[:students]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE month_buckets SET paid = 0 WHERE term_enrollment_id = ANY(:ids)"),
                     {"ids": [s["te_id"] for s in payer_rows]})
    engine.dispose()

    os.environ["DATABASE_URL"] = url
    from richwell import create_app
    from richwell.extensions import db
    from richwell.models import User
    from richwell.services.platform import accounts, api_tokens

    app = create_app({"RICHWELL_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "HUEY_IMMEDIATE": True})
    with app.app_context():
        accounts.configure_hasher(fast=True)  # sign-in is not measured; the cashiers' hashes are cheap
        staff = [accounts.create_user(email=f"cashier{i:03d}@bench.richwell.edu.ph", first_name="Bench",
                                      last_name=f"Cashier {i}", role="cashier", password=enroll_bench.PASSWORD)
                 for i in range(cashiers)]
        cashier_tokens = [(user.id, api_tokens.issue_token(user, "bench")[1]) for user in staff]
        student_tokens = {}
        for row in catalogue.students:
            user = db.session.get(User, row["user_id"])
            student_tokens[row["student_id"]] = api_tokens.issue_token(user, "bench")[1]
        db.session.remove()
        db.engine.dispose()
    return Fixture(catalogue, [(s["student_id"], s["te_id"]) for s in payer_rows], cashier_tokens,
                   student_tokens)


# --------------------------------------------------------------------------------------------
# 2. The server
# --------------------------------------------------------------------------------------------

def start_server(args, url: str) -> tuple[subprocess.Popen, int]:
    port = args.port or free_port()
    env = {"PUBLIC_BASE_URL": "http://127.0.0.1", **os.environ, "DATABASE_URL": url, "RICHWELL_ENV": "production",
           "SECRET_KEY": SECRET,
           "RATELIMIT_ENABLED": "0", "REDIS_URL": args.redis_url, "HUEY_IMMEDIATE": "0",
           "RECEIPT_FOLDER": "/tmp/t_speed_bench_receipts", "PYTHONPATH": str(ROOT),
           # gunicorn reads ./gunicorn.conf.py: no worker recycling mid-run (a replaced worker takes its
           # CPU time with it), and no access log on top of the app's own JSON request line.
           "WEB_MAX_REQUESTS": "0", "WEB_ACCESS_LOG": ""}
    bin_dir = Path(sys.executable).parent
    target = "tests.benchmarks.counted_app:app"
    if args.server == "granian":
        cmd = [str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(args.workers), "--blocking-threads", str(args.threads), "--backlog", "2048",
               "--log-level", "warning", target]
    else:
        kind = ["-k", "gthread", "--threads", str(args.threads)] if args.server == "gthread" else ["-k", "sync"]
        cmd = [str(bin_dir / "gunicorn"), "-w", str(args.workers), *kind, "-b", f"127.0.0.1:{port}",
               "--backlog", "2048", "--keep-alive", "30", "--log-level", "warning", *args.server_args.split(), target]
    print("server: " + " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit("the server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------------------------
# 3. The clients
# --------------------------------------------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection with its cookies."""

    def __init__(self, port: int, headers: dict | None = None, cookies: dict | None = None):
        self.port, self.headers, self.cookies = port, dict(headers or {}), dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, *, form: dict | None = None, body: dict | None = None,
                headers: dict | None = None) -> tuple[http.client.HTTPResponse, str]:
        hdrs = {**self.headers, **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data, hdrs["Content-Type"] = urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
        elif body is not None:
            data, hdrs["Content-Type"] = json.dumps(body), "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                response = self.conn.getresponse()
                payload = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response, payload


@dataclass
class Phase:
    """What one measured phase saw."""

    name: str
    latencies: list[float] = field(default_factory=list)  # ms, one per measured request
    statements: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    cpu: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, conn: Connection, method: str, path: str, *, also: Phase | None = None,
              **kwargs) -> tuple[http.client.HTTPResponse, str]:
        """One request, its latency and statement count recorded here (and in `also`)."""
        t0 = time.perf_counter()
        response, payload = conn.request(method, path, **kwargs)
        ms = (time.perf_counter() - t0) * 1000
        count = response.getheader("X-SQL-Statements")
        for phase in (self, also) if also is not None else (self,):
            with phase.lock:
                phase.latencies.append(ms)
                if count is not None:
                    phase.statements.append(int(count))
        return response, payload


def run_phase(phase: Phase, clients: int, meter: CpuMeter, make_client, jobs: list, do_job) -> None:
    """C threads take jobs from one list; CPU and wall clock measured around the lot."""
    todo = list(reversed(jobs))
    todo_lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def worker(index: int) -> None:
        client = make_client(index)
        ready.wait()
        while True:
            with todo_lock:
                if not todo:
                    return
                job = todo.pop()
            try:
                do_job(client, job)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with phase.lock:
                    phase.errors[f"{type(exc).__name__}: {str(exc)[:100]}"] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    before = meter.snapshot()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    phase.elapsed = time.perf_counter() - started
    phase.cpu = meter.spent(before, meter.snapshot())


@dataclass
class Ledger:
    """What the clients were told: receipt -> (enrollment, amount), and replays' answers."""

    recorded: dict[str, tuple[int, str]] = field(default_factory=dict)
    replays: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, receipt: str, enrollment_id: int, amount: str, replayed: str | None) -> None:
        with self.lock:
            if receipt in self.recorded:
                raise RuntimeError(f"{receipt} was handed out twice")
            self.recorded[receipt] = (enrollment_id, amount)
            if replayed is not None:
                self.replays.append((receipt, replayed))


def floor_phase(args, port: int, meter: CpuMeter) -> Phase:
    phase = Phase("floor: GET /readyz")

    def job(conn: Connection, _):
        response, _body = phase.timed(conn, "GET", "/readyz")
        if response.status != 200:
            raise RuntimeError(f"readyz answered {response.status}")

    run_phase(phase, args.clients, meter, lambda i: Connection(port), list(range(args.floor)), job)
    return phase


def api_payment_phase(args, port: int, meter: CpuMeter, fx: Fixture, ledger: Ledger) -> Phase:
    phase = Phase("API payments: POST record_payment")
    rng = random.Random(args.seed)
    jobs = [(rng.choice(fx.payers)[1], rng.choice(AMOUNTS), rng.random() < 0.02) for _ in range(args.payments)]
    path = "/api/v1/cashier/payment/record_payment/"

    def job(conn: Connection, work):
        enrollment_id, amount, replay = work
        body = {"enrollment_id": enrollment_id, "amount": amount, "method": "CASH"}
        headers = {"Idempotency-Key": secrets.token_urlsafe(16)}
        response, payload = phase.timed(conn, "POST", path, body=body, headers=headers)
        if response.status != 201:
            raise RuntimeError(f"payment answered {response.status}: {payload[:100]}")
        receipt = json.loads(payload)["receipt_number"]
        replayed = None
        if replay:  # a double submit: measured like any request (its CPU is in the phase's)
            again, again_payload = phase.timed(conn, "POST", path, body=body, headers=headers)
            if again.status != 200:
                raise RuntimeError(f"replay answered {again.status}")
            replayed = json.loads(again_payload)["receipt_number"]
        ledger.add(receipt, enrollment_id, amount, replayed)

    def client(index: int) -> Connection:
        return Connection(port, {"Authorization": f"Token {fx.cashiers[index % len(fx.cashiers)][1]}"})

    run_phase(phase, args.clients, meter, client, jobs, job)
    return phase


def web_payment_phase(args, port: int, meter: CpuMeter, fx: Fixture, ledger: Ledger) -> tuple[Phase, Phase]:
    """Each payment is two requests (form GET + POST); reported together and the POST alone."""
    both, posts = Phase("web payments: GET+POST, per request"), Phase("  of which the POST")
    rng = random.Random(args.seed + 1)
    jobs = [(rng.choice(fx.payers)[1], rng.choice(AMOUNTS)) for _ in range(args.web_payments)]
    hx = {"HX-Request": "true"}

    def job(conn: Connection, work):
        enrollment_id, amount = work
        response, form_html = both.timed(conn, "GET", f"/cashier/enrollments/{enrollment_id}/payment-form",
                                         headers=hx)
        if response.status != 200:
            raise RuntimeError(f"form answered {response.status}")
        form = {"csrf_token": CSRF_RE.search(form_html).group(1),
                "idempotency_key": KEY_RE.search(form_html).group(1),
                "amount": amount, "method": "CASH", "reference_number": ""}
        response, answer = both.timed(conn, "POST", f"/cashier/enrollments/{enrollment_id}/payments", form=form,
                                      headers=hx, also=posts)
        if response.status != 200:
            raise RuntimeError(f"payment answered {response.status}: {answer[:100]!r}")
        ledger.add(RECEIPT_RE.search(answer).group(0), enrollment_id, amount, None)

    def client(index: int) -> Connection:
        user_id = fx.cashiers[index % len(fx.cashiers)][0]
        return Connection(port, cookies={"session": enroll_bench.mint_session(user_id)})

    run_phase(both, args.clients, meter, client, jobs, job)
    posts.elapsed, posts.cpu = both.elapsed, {}
    return both, posts


def enrollment_phase(args, port: int, meter: CpuMeter, fx: Fixture, outcomes: list[Outcome]) -> Phase:
    phase = Phase("API enrollments: POST enroll_subject")
    cat = fx.catalogue
    by_program: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (subject, section) in cat.offerings:
        by_program[cat.subjects[subject]["program"]][subject].append(section)
    rng = random.Random(args.seed + 2)

    def job(conn: Connection, student: dict):
        conn.headers["Authorization"] = f"Token {fx.student_tokens[student['student_id']]}"
        path = f"/api/v1/student/enrollment/{student['te_id']}/enroll_subject/"
        forms = by_program[student["program"]]
        local = random.Random(rng.random() + student["student_id"])
        wanted, attempts, enrolled = local.randint(6, 8), 0, 0
        order = list(forms)
        local.shuffle(order)
        for subject in order:
            if enrolled >= wanted or attempts >= wanted + 6:
                return
            sections = forms[subject][:]
            local.shuffle(sections)
            for section in sections[:3]:
                attempts += 1
                response, payload = phase.timed(conn, "POST", path,
                                                body={"subject_id": subject, "section_id": section})
                if response.status == 201:
                    code = "ok"
                elif response.status == 422:
                    code = json.loads(payload)["error"]["code"]
                else:
                    raise RuntimeError(f"enroll answered {response.status}: {payload[:100]}")
                with phase.lock:
                    outcomes.append(Outcome(student["student_id"], subject, section, response.status, code,
                                            0.0, None, None, None))
                if code == "ok":
                    enrolled += 1
                    break
                if code == "unit_cap":
                    return
                if code not in ("section_full", "schedule_conflict"):
                    break

    run_phase(phase, args.clients, meter, lambda i: Connection(port), list(cat.students), job)
    return phase


@contextlib.contextmanager
def profiled(folder: str | None, name: str, server_pid: int):
    """py-spy on every worker while the phase runs (its CPU figures then include py-spy's pauses:
    compare CPU from runs without --profile)."""
    if not folder:
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    spies = [subprocess.Popen([str(spy), "record", "--gil", "--rate", "200", "--format", "raw", "--nonblocking",
                               "-o", str(Path(folder) / f"{name}-{pid}.txt"), "--pid", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid in enroll_bench._children(server_pid)[1:]]
    time.sleep(0.5)
    try:
        yield
    finally:
        for s in spies:
            s.send_signal(signal.SIGINT)
        for s in spies:
            s.wait(30)


# --------------------------------------------------------------------------------------------
# 4. The checks
# --------------------------------------------------------------------------------------------

def check_ledger(url: str, fx: Fixture, ledger: Ledger) -> list[str]:
    """The ledger's promises, over the payers' enrollments (the others had month 1 set directly)."""
    problems: list[str] = []
    ids = [te for _, te in fx.payers]
    engine = create_engine(url)
    with engine.connect() as conn:
        def q(sql: str):
            return conn.execute(text(sql), {"ids": ids}).all()

        payments = q("SELECT id, term_enrollment_id, amount, receipt_number FROM payments WHERE kind = 'PAYMENT'")
        if len(payments) != len(ledger.recorded):
            problems.append(f"{len(payments)} payments in the ledger, {len(ledger.recorded)} told to clients")
        numbers = sorted(int(p.receipt_number[-6:]) for p in payments)
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append("receipt numbers are not unique and gapless")
        by_receipt = {p.receipt_number: p for p in payments}
        for receipt, (enrollment_id, amount) in ledger.recorded.items():
            row = by_receipt.get(receipt)
            if row is None or row.term_enrollment_id != enrollment_id or Decimal(row.amount) / 100 != Decimal(amount):
                problems.append(f"{receipt} does not match what the client was told")
                break
        if q("SELECT p.id FROM payments p LEFT JOIN payment_allocations a ON a.payment_id = p.id "
             "GROUP BY p.id, p.amount, p.credit_change HAVING COALESCE(SUM(a.amount), 0) + p.credit_change "
             "<> p.amount"):
            problems.append("a payment's allocations + credit differ from its amount")
        books = q("""SELECT e.id FROM term_enrollments e
            JOIN (SELECT term_enrollment_id, SUM(paid) AS paid FROM month_buckets GROUP BY term_enrollment_id) b
              ON b.term_enrollment_id = e.id
            WHERE e.id = ANY(:ids) AND (b.paid + e.credit_balance <>
                  COALESCE((SELECT SUM(amount) FROM payments p WHERE p.term_enrollment_id = e.id), 0)
               OR b.paid <> COALESCE((SELECT SUM(a.amount) FROM payment_allocations a JOIN month_buckets mb
                  ON mb.id = a.month_bucket_id WHERE mb.term_enrollment_id = e.id), 0))""")
        if books:
            problems.append(f"{len(books)} enrollments whose buckets + credit differ from the money paid in")
        if q("SELECT id FROM month_buckets WHERE paid > required OR paid < 0"):
            problems.append("a month holds more than it requires")
        if q("""SELECT later.id FROM month_buckets later JOIN month_buckets earlier
                ON earlier.term_enrollment_id = later.term_enrollment_id AND earlier.month < later.month
                WHERE later.paid > 0 AND earlier.paid < earlier.required"""):
            problems.append("a month paid while an earlier month is not")
        if q("""SELECT e.id FROM term_enrollments e WHERE e.credit_balance > 0 AND EXISTS
                (SELECT 1 FROM month_buckets b WHERE b.term_enrollment_id = e.id AND b.paid < b.required)"""):
            problems.append("credit held while a month is unpaid")
        if q("""SELECT e.id FROM term_enrollments e
                CROSS JOIN (VALUES ('PRELIM', 1), ('MIDTERM', 2), ('PREFINAL', 3), ('FINAL', 4)) AS m(exam, month)
                JOIN month_buckets b ON b.term_enrollment_id = e.id AND b.month = m.month
                LEFT JOIN exam_permits p ON p.term_enrollment_id = e.id AND p.exam = m.exam AND p.status = 'ISSUED'
                WHERE e.id = ANY(:ids) AND (b.paid >= b.required) <> (p.id IS NOT NULL)"""):
            problems.append("a permit does not match its month")
        permits, codes = q("SELECT COUNT(*), COUNT(DISTINCT code) FROM exam_permits")[0]
        if permits != codes:
            problems.append("permit codes are not unique")
        notes = dict(q("SELECT kind, COUNT(*) FROM notifications GROUP BY kind"))
        if notes.get("payment_received", 0) != len(payments) or notes.get("permit_issued", 0) != permits:
            problems.append(f"notifications {notes} do not match {len(payments)} payments and {permits} permits")
        keys = q("SELECT COUNT(*) FROM idempotency_records")[0][0]
        audits = q("SELECT COUNT(*) FROM audit_entries WHERE action = 'payment.record'")[0][0]
        if keys != len(payments) or audits != len(payments):
            problems.append(f"{keys} idempotency records and {audits} audit entries for {len(payments)} payments")
        if any(first != second for first, second in ledger.replays):
            problems.append("a replay answered another receipt than the first")
    engine.dispose()
    return problems


# --------------------------------------------------------------------------------------------
# 5. The report
# --------------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    return enroll_bench.pct(values, p)


def report(phases: list[Phase], floor_rate: float) -> None:
    print(f"\n{'phase':38} {'req/s':>7} {'× floor':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'SQL/req':>8} "
          f"{'server CPU':>10} {'PG CPU':>8} {'client CPU':>10} {'errors':>6}")
    print(f"{'':38} {'':>7} {'':>7} {'ms':>7} {'ms':>7} {'ms':>7} {'mean':>8} {'ms/req':>10} {'ms/req':>8} "
          f"{'ms/req':>10}")
    for phase in phases:
        n = len(phase.latencies)
        rate = n / phase.elapsed if phase.elapsed else float("nan")
        sql = f"{statistics.mean(phase.statements):.2f}" if phase.statements else "n/a"
        server = phase.cpu.get("server")
        cpu = f"{server / n * 1000:.2f}" if n and server is not None else ""
        pg = f"{phase.cpu['pg'] / n * 1000:.2f}" if n and "pg" in phase.cpu else ""
        # The client shares the cores: what it spends is taken from the server and PostgreSQL.
        client = f"{phase.cpu['client'] / n * 1000:.2f}" if n and "client" in phase.cpu else ""
        ratio = f"{rate / floor_rate:.3f}" if floor_rate else ""
        print(f"{phase.name:38} {rate:7.0f} {ratio:>7} {pct(phase.latencies, 50):7.1f} {pct(phase.latencies, 95):7.1f}"
              f" {pct(phase.latencies, 99):7.1f} {sql:>8} {cpu:>10} {pg:>8} {client:>10}"
              f" {sum(phase.errors.values()):6d}")
        for error, count in phase.errors.most_common(3):
            print(f"    {count} × {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["sync", "gthread", "granian"], default="sync",
                        help="gunicorn sync / gthread workers, or granian's WSGI interface")
    parser.add_argument("-w", "--workers", type=int, default=2)
    parser.add_argument("-t", "--threads", type=int, default=1, help="threads per worker (gthread, granian)")
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("--floor", type=int, default=3000, help="GET /readyz requests")
    parser.add_argument("--payments", type=int, default=2000, help="API payments")
    parser.add_argument("--web-payments", type=int, default=1000, help="web payments (form GET + POST)")
    parser.add_argument("-s", "--students", type=int, default=400, help="students enrolling through the API")
    parser.add_argument("--payers", type=int, default=300, help="enrollments the payments go to")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--server-args", default="", help="more gunicorn options, e.g. \"--worker-connections 1000\"")
    parser.add_argument("--profile", metavar="DIR", help="py-spy --gil the workers during each measured phase "
                        "into DIR/<phase>-<pid>.txt (collapsed stacks; needs ptrace rights)")
    args = parser.parse_args()

    print(f"building {args.database_url.rsplit('/', 1)[-1]}: {args.students} enrolling students, "
          f"{args.payers} paying enrollments, {args.clients} cashiers …", flush=True)
    fx = build(args.database_url, args.students, args.payers, args.clients, args.seed)
    flush_queue(args.redis_url)
    proc, port = start_server(args, args.database_url)
    meter = CpuMeter(proc.pid, args.database_url)
    ledger, outcomes = Ledger(), []
    try:
        # A short warm-up so every worker thread has imported, connected and compiled its
        # statements: the floor, and a signed-in API read (the token statement every API call
        # starts with; compiling it once per thread showed up in the first phase's figures).
        warm = Phase("warm-up")
        run_phase(warm, args.clients, meter,
                  lambda i: Connection(port, {"Authorization": f"Token {fx.cashiers[i % len(fx.cashiers)][1]}"}),
                  list(range(args.clients * 4)),
                  lambda c, i: c.request("GET", "/readyz" if i % 2 else "/api/v1/cashier/payment/payment_methods/"))
        with profiled(args.profile, "floor", proc.pid):
            floor = floor_phase(args, port, meter)
        with profiled(args.profile, "api-payments", proc.pid):
            api_pay = api_payment_phase(args, port, meter, fx, ledger)
        with profiled(args.profile, "web-payments", proc.pid):
            web_pay, web_posts = web_payment_phase(args, port, meter, fx, ledger)
        with profiled(args.profile, "api-enrollments", proc.pid):
            enrolls = enrollment_phase(args, port, meter, fx, outcomes)
    finally:
        stop_server(proc)
        meter.engine.dispose()
    flush_queue(args.redis_url)

    load = os.getloadavg()
    print(f"\n{args.server}, {args.workers} worker(s) × {args.threads} thread(s), {args.clients} clients; "
          f"load average {load[0]:.2f} (2 shared cores)")
    floor_rate = len(floor.latencies) / floor.elapsed
    report([floor, api_pay, web_pay, web_posts, enrolls], floor_rate)
    oks = sum(1 for o in outcomes if o.code == "ok")
    print(f"\nenrollments: {oks} added, {len(outcomes) - oks} refused "
          f"({dict(Counter(o.code for o in outcomes if o.code != 'ok'))}); "
          f"payments: {len(ledger.recorded)} recorded, {len(ledger.replays)} replays")
    problems = check_ledger(args.database_url, fx, ledger) + enroll_bench.verify(args.database_url, fx.catalogue,
                                                                                 outcomes)
    print("integrity: " + ("every check holds" if not problems else "VIOLATED:\n    " + "\n    ".join(problems)))
    errors = sum(sum(p.errors.values()) for p in (floor, api_pay, web_pay, enrolls))
    sys.exit(1 if problems or errors else 0)


if __name__ == "__main__":
    main()
