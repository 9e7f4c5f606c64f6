"""Load benchmark of the cashier's counter: real HTTP against gunicorn on PostgreSQL.

Not collected by pytest (bench_*.py). Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_payments.py            # 1,000 payments, 50 clients
    .venv/bin/python tests/benchmarks/bench_payments.py --payments 5000 --clients 100 --workers 4

What it does:
1. (Re)creates the benchmark database (default bench_payments), migrates it, and creates N term
   enrollments (6 months of PHP 5,000 each) plus one cashier account per client.
2. Starts gunicorn on `wsgi:app` (RICHWELL_ENV=production, RATELIMIT_ENABLED=0, the queue on
   Redis) with tests/benchmarks/gunicorn_statement_counter.py, which adds an
   `X-SQL-Statements` header to every response: the number of SQL statements the request sent
   (SQLAlchemy cursor executions; BEGIN/COMMIT are transaction control and not sent as
   statements by psycopg). With --url it uses a server you started yourself instead.
3. C clients sign in as cashiers through the real login form, then for each payment fetch the
   form and post it as the terminal does (HX-Request). --flow decides how the form is fetched:
     form   (default) GET the payment form partial (fresh one-time key + CSRF token), then POST;
     panel  GET the whole student panel (what opening a student costs), then POST;
     chain  POST only, using the fresh form that the previous payment's answer carries.
   A share of the posts (--replays) is sent twice with the same key, like a double click.
4. Checks every invariant in the database and prints payments/s, latency percentiles, SQL
   statements per payment, errors and the web workers' memory.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-9"
COMMITMENT = Decimal("5000.00")
MONTHS = 6
AMOUNTS = ["2500.00", "5000.00", "5000.00", "5000.00", "7500.00", "1234.56", "10000.00", "12000.50"]
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
META_CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
RECEIPT_RE = re.compile(r"OR-\d{4}-\d{6}")
COUNTER_CONF = Path(__file__).with_name("gunicorn_statement_counter.py")


# --------------------------------------------------------------------------- set-up


def prepare_database(url: str, enrollments: int, cashiers: int) -> tuple[list[tuple[int, int]], list[str]]:
    """A fresh database with the schema, a current term, N enrollments and the cashiers.
    Returns [(student_id, enrollment_id)] and the cashiers' emails."""
    from sqlalchemy import create_engine, insert, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": base.database})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}"'))
        conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()

    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from richwell import create_app
    from richwell.extensions import db
    from richwell.models import MonthBucket, Program, Student, Term, TermEnrollment, User
    from richwell.services.platform import accounts

    app = create_app({"RICHWELL_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "HUEY_IMMEDIATE": True})
    with app.app_context():
        upgrade()
        password_hash = accounts.hash_password(PASSWORD)
        today = date.today()
        program = Program(code="BSIT", name="BS Information Technology")
        term = Term(academic_year="2026-2027", semester="FIRST", start_date=today - timedelta(days=30),
                    end_date=today + timedelta(days=120), enrollment_open=today - timedelta(days=40),
                    enrollment_close=today + timedelta(days=5), drop_deadline=today + timedelta(days=20),
                    grade_deadline=today + timedelta(days=110), is_current=True)
        db.session.add_all([program, term])
        emails = [f"cashier{i:03d}@bench.richwell.edu.ph" for i in range(cashiers)]
        db.session.add_all([User(email=e, first_name="Bench", last_name=f"Cashier {i}", role="cashier",
                                 password_hash=password_hash) for i, e in enumerate(emails)])
        db.session.flush()
        first_names = ["Maria", "Jose", "Ana", "Juan", "Liza", "Paolo", "Grace", "Mark", "Joy", "Carlo"]
        last_names = ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Dela Cruz", "Ramos",
                      "Villanueva", "Aquino", "Castillo", "Navarro"]
        user_ids = db.session.execute(insert(User).returning(User.id), [
            {"email": f"student{i:05d}@bench.richwell.edu.ph", "first_name": first_names[i % 10],
             "last_name": last_names[(i // 10) % 12], "role": "student", "password_hash": password_hash}
            for i in range(enrollments)]).scalars().all()
        student_ids = db.session.execute(insert(Student).returning(Student.id), [
            {"user_id": uid, "student_number": f"2026-{i + 1:05d}", "program_id": program.id}
            for i, uid in enumerate(user_ids)]).scalars().all()
        enrollment_ids = db.session.execute(insert(TermEnrollment).returning(TermEnrollment.id), [
            {"student_id": sid, "term_id": term.id, "monthly_commitment": COMMITMENT}
            for sid in student_ids]).scalars().all()
        db.session.execute(insert(MonthBucket), [
            {"term_enrollment_id": eid, "month": m, "required": COMMITMENT, "paid": Decimal("0.00")}
            for eid in enrollment_ids for m in range(1, MONTHS + 1)])
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        pairs = list(zip(student_ids, enrollment_ids))
        db.engine.dispose()
    return pairs, emails


def start_server(args, env) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{args.port}",
               "--worker-class", args.worker_class, "--threads", str(args.threads),
               "--backlog", "2048", "--keep-alive", "5", "--log-level", "warning",
               "-c", os.environ.get("BENCH_GUNICORN_CONF", str(COUNTER_CONF)), "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _children(master_pid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == str(master_pid):
                pids.append(int(entry.name))
    return pids


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master), in MB."""
    sizes = []
    for pid in _children(master_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds used so far by each process."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the web workers' pools)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                            {"d": make_url(url).database}).scalars().all()
    engine.dispose()
    return list(pids)


# --------------------------------------------------------------------------- the clients


@dataclass
class Stats:
    post_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    post_statements: list[int] = field(default_factory=list)
    get_statements: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    recorded: dict[str, tuple[int, str]] = field(default_factory=dict)  # receipt -> (enrollment, amount)
    replays: list[tuple[str, str]] = field(default_factory=list)  # (first receipt, replayed receipt)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One cashier's browser: keeps its cookies, speaks HTTP/1.1 with keep-alive."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.last_form: str | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, text

    def sign_in(self, email: str) -> None:
        _, page = self.request("GET", "/login")
        token = CSRF_RE.search(page).group(1)
        response, _ = self.request("POST", "/login", {"csrf_token": token, "identifier": email,
                                                     "password": PASSWORD})
        if response.status != 302 or not response.getheader("Location", "").endswith("/cashier/"):
            raise RuntimeError(f"sign-in failed for {email}: {response.status}")


def run_clients(args, pairs, emails, stats: Stats, on_start) -> float:
    jobs = list(range(args.payments))
    jobs_lock = threading.Lock()
    rng = random.Random(args.seed)
    plan = [(rng.choice(pairs), rng.choice(AMOUNTS), rng.random() < args.replays) for _ in jobs]
    ready = threading.Barrier(args.clients + 1)

    def client_main(index: int):
        client = Client("127.0.0.1", args.port)
        try:
            client.sign_in(emails[index])
        except Exception as exc:  # noqa: BLE001
            with stats.lock:
                stats.errors[f"sign-in: {exc}"] += 1
            ready.wait()
            return
        ready.wait()
        while True:
            with jobs_lock:
                if not jobs:
                    return
                job = jobs.pop()
            (student_id, enrollment_id), amount, replay = plan[job]
            try:
                pay_once(client, args.flow, student_id, enrollment_id, amount, replay, stats)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with stats.lock:
                    stats.errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    threads = [threading.Thread(target=client_main, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()
    ready.wait()  # every client has signed in (argon2 is not what we measure)
    on_start()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def pay_once(client: Client, flow: str, student_id: int, enrollment_id: int, amount: str, replay: bool,
             stats: Stats):
    hx = {"HX-Request": "true"}
    t0 = time.perf_counter()
    get_statements = None
    if flow == "chain" and client.last_form:
        panel = client.last_form
    else:
        path = (f"/cashier/students/{student_id}" if flow == "panel"
                else f"/cashier/enrollments/{enrollment_id}/payment-form")
        response, panel = client.request("GET", path, headers=hx)
        if response.status != 200:
            raise RuntimeError(f"form answered {response.status}")
        get_statements = int(response.getheader("X-SQL-Statements", "-1"))
    t1 = time.perf_counter()
    form = {"csrf_token": CSRF_RE.search(panel).group(1), "idempotency_key": KEY_RE.search(panel).group(1),
            "amount": amount, "method": "CASH", "reference_number": ""}
    path = f"/cashier/enrollments/{enrollment_id}/payments"
    t2 = time.perf_counter()
    response, answer = client.request("POST", path, form, headers=hx)
    t3 = time.perf_counter()
    if response.status != 200:
        raise RuntimeError(f"payment answered {response.status}: {answer[:120]!r}")
    receipt = RECEIPT_RE.search(answer).group(0)
    post_statements = int(response.getheader("X-SQL-Statements", "-1"))
    client.last_form = answer  # the answer carries a fresh form with a new key
    second = None
    if replay:
        again, text = client.request("POST", path, form, headers=hx)
        if again.status != 200 or "already submitted" not in text:
            raise RuntimeError(f"replay answered {again.status}")
        second = RECEIPT_RE.search(text).group(0)
    with stats.lock:
        if get_statements is not None:
            stats.get_ms.append((t1 - t0) * 1000)
            stats.get_statements.append(get_statements)
        stats.post_ms.append((t3 - t2) * 1000)
        stats.post_statements.append(post_statements)
        if receipt in stats.recorded:
            stats.errors["the same receipt number was handed out twice"] += 1
        stats.recorded[receipt] = (enrollment_id, amount)
        if second is not None:
            stats.replays.append((receipt, second))


# --------------------------------------------------------------------------- invariants


def check_invariants(url: str, stats: Stats) -> list[str]:
    """Every rule the ledger promises, checked in the database after the run."""
    from sqlalchemy import create_engine, text

    problems: list[str] = []
    engine = create_engine(url)
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        payments = q("SELECT id, term_enrollment_id, amount, credit_change, receipt_number FROM payments "
                     "WHERE kind = 'PAYMENT'")
        if len(payments) != len(stats.recorded):
            problems.append(f"{len(payments)} payments in the ledger, {len(stats.recorded)} recorded by clients")
        numbers = sorted(int(p.receipt_number[-6:]) for p in payments)
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append("receipt numbers are not unique and gapless")
        db_receipts = {p.receipt_number: p for p in payments}
        for receipt, (enrollment_id, amount) in stats.recorded.items():
            row = db_receipts.get(receipt)
            if row is None or row.term_enrollment_id != enrollment_id or Decimal(row.amount) / 100 != Decimal(amount):
                problems.append(f"{receipt} does not match what the client recorded")
                break
        bad_split = q("SELECT p.id FROM payments p LEFT JOIN payment_allocations a ON a.payment_id = p.id "
                      "GROUP BY p.id, p.amount, p.credit_change "
                      "HAVING COALESCE(SUM(a.amount), 0) + p.credit_change <> p.amount")
        if bad_split:
            problems.append(f"{len(bad_split)} payments whose allocations + credit differ from the amount")
        books = q("""
            SELECT e.id, e.credit_balance, b.paid_total,
                   COALESCE((SELECT SUM(amount) FROM payments p WHERE p.term_enrollment_id = e.id), 0) AS money_in,
                   COALESCE((SELECT SUM(a.amount) FROM payment_allocations a JOIN month_buckets mb
                             ON mb.id = a.month_bucket_id WHERE mb.term_enrollment_id = e.id), 0) AS allocated
            FROM term_enrollments e
            JOIN (SELECT term_enrollment_id, SUM(paid) AS paid_total FROM month_buckets
                  GROUP BY term_enrollment_id) b ON b.term_enrollment_id = e.id""")
        for e in books:
            if e.paid_total + e.credit_balance != e.money_in or e.allocated != e.paid_total:
                problems.append(f"enrollment {e.id}: buckets + credit != money paid in")
                break
        overpaid = q("SELECT id FROM month_buckets WHERE paid > required OR paid < 0")
        if overpaid:
            problems.append(f"{len(overpaid)} buckets hold more than they require")
        out_of_order = q("""SELECT later.id FROM month_buckets later JOIN month_buckets earlier
                            ON earlier.term_enrollment_id = later.term_enrollment_id AND earlier.month < later.month
                            WHERE later.paid > 0 AND earlier.paid < earlier.required""")
        if out_of_order:
            problems.append(f"{len(out_of_order)} months paid while an earlier month is not")
        credit_early = q("""SELECT e.id FROM term_enrollments e WHERE e.credit_balance > 0 AND EXISTS
                            (SELECT 1 FROM month_buckets b
                             WHERE b.term_enrollment_id = e.id AND b.paid < b.required)""")
        if credit_early:
            problems.append(f"{len(credit_early)} enrollments with credit while a month is unpaid")
        wrong_permits = q("""
            SELECT e.id FROM term_enrollments e
            CROSS JOIN (VALUES ('PRELIM', 1), ('MIDTERM', 2), ('PREFINAL', 3), ('FINAL', 4)) AS m(exam, month)
            JOIN month_buckets b ON b.term_enrollment_id = e.id AND b.month = m.month
            LEFT JOIN exam_permits p ON p.term_enrollment_id = e.id AND p.exam = m.exam AND p.status = 'ISSUED'
            WHERE (b.paid >= b.required) <> (p.id IS NOT NULL)""")
        if wrong_permits:
            problems.append(f"{len(wrong_permits)} exams whose permit does not match their month")
        permits, codes = q("SELECT COUNT(*), COUNT(DISTINCT code) FROM exam_permits")[0]
        if permits != codes:
            problems.append("permit codes are not unique")
        notes = q("SELECT kind, COUNT(*) FROM notifications GROUP BY kind")
        notes = {k: n for k, n in notes}
        if notes.get("payment_received", 0) != len(payments) or notes.get("permit_issued", 0) != permits:
            problems.append(f"notifications {notes} do not match {len(payments)} payments and {permits} permits")
        keys = q("SELECT COUNT(*) FROM idempotency_records")[0][0]
        audits = q("SELECT COUNT(*) FROM audit_entries WHERE action = 'payment.record'")[0][0]
        if keys != len(payments) or audits != len(payments):
            problems.append(f"{keys} idempotency records and {audits} audit entries for {len(payments)} payments")
        for first, second in stats.replays:
            if first != second:
                problems.append(f"a replay answered {second} instead of {first}")
                break
    engine.dispose()
    return problems


# --------------------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def pg_counters(url: str) -> dict:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = :d"),
                           {"d": make_url(url).database}).one()
        preload = conn.execute(text("SHOW shared_preload_libraries")).scalar()
    engine.dispose()
    return {"commits": row.xact_commit, "rollbacks": row.xact_rollback,
            "pg_stat_statements": "pg_stat_statements" in (preload or "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--enrollments", type=int, default=250)
    parser.add_argument("--flow", choices=["form", "panel", "chain"], default="form",
                        help="how each payment's form is fetched (see the module docstring)")
    parser.add_argument("--replays", type=float, default=0.02, help="share of payments posted twice (same key)")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_payments"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 cores here)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    print(f"Preparing {args.database_url.rsplit('/', 1)[-1]}: {args.enrollments} enrollments, "
          f"{args.clients} cashiers …", flush=True)
    pairs, emails = prepare_database(args.database_url, args.enrollments, args.clients)
    env = dict({"PUBLIC_BASE_URL": "http://127.0.0.1"}, **os.environ, RICHWELL_ENV="production",
               SECRET_KEY=secrets.token_hex(16),
               DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, RATELIMIT_ENABLED="0",
               HUEY_IMMEDIATE="0", RECEIPT_FOLDER="/tmp/bench_payments_receipts")
    server = start_server(args, env)
    stats = Stats()
    try:
        marks: dict = {}

        def on_start():
            marks["pg"] = pg_counters(args.database_url)
            marks["web"] = cpu_seconds(_children(server.pid))
            marks["pg_cpu"] = cpu_seconds(backend_pids(args.database_url))
            marks["client"] = time.process_time()

        elapsed = run_clients(args, pairs, emails, stats, on_start)
        client_cpu = time.process_time() - marks["client"]
        before, web_before = marks["pg"], marks["web"]
        web_after = cpu_seconds(_children(server.pid))
        pg_after = cpu_seconds(backend_pids(args.database_url))
        pg_cpu = sum(used - marks["pg_cpu"].get(pid, 0) for pid, used in pg_after.items())
        after = pg_counters(args.database_url)
        rss = worker_rss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    flush_queue(args.redis_url)

    problems = check_invariants(args.database_url, stats)
    done = len(stats.post_ms)
    load = os.getloadavg()
    print()
    print(f"gunicorn: {args.workers} × {args.worker_class} worker(s), {args.threads} thread(s); "
          f"{args.clients} clients; {args.payments} payments requested; "
          f"{len(stats.replays)} double submits (replayed, not recorded)")
    requests = done + len(stats.get_ms) + len(stats.replays)
    print(f"payments recorded      {len(stats.recorded)} in {elapsed:.2f} s  →  {done / elapsed:.0f} payments/s "
          f"({requests / elapsed:.0f} requests/s; flow '{args.flow}')")
    print(f"payment POST latency   p50 {percentile(stats.post_ms, 50):.1f} ms · p95 {percentile(stats.post_ms, 95):.1f}"
          f" ms · p99 {percentile(stats.post_ms, 99):.1f} ms · max {max(stats.post_ms, default=0):.1f} ms")
    if stats.get_ms:
        print(f"form GET latency       p50 {percentile(stats.get_ms, 50):.1f} ms · "
              f"p95 {percentile(stats.get_ms, 95):.1f} ms · p99 {percentile(stats.get_ms, 99):.1f} ms")
    if stats.post_statements:
        spread = Counter(stats.post_statements)
        print(f"SQL per payment POST   mean {statistics.mean(stats.post_statements):.2f} · max "
              f"{max(stats.post_statements)} · spread {dict(sorted(spread.items()))}"
              + (f"  (form GET: mean {statistics.mean(stats.get_statements):.2f})" if stats.get_statements else ""))
        print("                       (+ per request: pool_pre_ping's connection check, BEGIN and COMMIT)")
    commits = after["commits"] - before["commits"]
    print(f"PostgreSQL             {commits} commits, {after['rollbacks'] - before['rollbacks']} rollbacks during the "
          f"run (pool_pre_ping's ';' counts as a commit); pg_stat_statements "
          f"{'loaded' if after['pg_stat_statements'] else 'not loaded (in-app counter used)'}")
    print(f"web worker RSS         {', '.join(f'{r:.0f}' for r in rss)} MB (max {max(rss, default=0):.0f} MB)")
    if done:
        web_cpu = sum(web_after.get(pid, 0) - web_before.get(pid, 0) for pid in web_after)
        per = [web_cpu / done * 1000, pg_cpu / done * 1000, client_cpu / done * 1000]
        print(f"CPU per payment        web {per[0]:.2f} ms · PostgreSQL {per[1]:.2f} ms · this client {per[2]:.2f} ms"
              f"  →  two idle cores could serve ≈ {2000 / (per[0] + per[1]):.0f} payments/s (server side only)")
    print(f"errors                 {sum(stats.errors.values())}" +
          "".join(f"\n    {n} × {e}" for e, n in stats.errors.most_common(5)))
    print(f"load average           {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores, shared)")
    print("invariants             " + ("all hold" if not problems else "VIOLATED:\n    " + "\n    ".join(problems)))
    sys.exit(1 if problems or stats.errors else 0)


def flush_queue(redis_url: str) -> None:
    """The receipt PDFs queued by the run are not wanted: empty the benchmark's queue."""
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("huey.*"):
            client.delete(key)
    except Exception:  # noqa: BLE001 - best effort
        pass


if __name__ == "__main__":
    main()
