"""Enrollment-day benchmark: S students (first month paid) enroll concurrently through the real
HTTP endpoints of a gunicorn server on PostgreSQL, C clients at a time. Not collected by pytest.

    .venv/bin/python tests/benchmarks/bench_enrollment.py                # 2,000 students, 50 clients
    .venv/bin/python tests/benchmarks/bench_enrollment.py -s 500 -c 20   # smaller

What it does
1. Builds a fresh database (default `bench_enrollment` on the local PostgreSQL): migrations, then
   8 programs; per program 10 subjects of year 2, 1st semester, each in 7 sections (block
   schedules that clash across blocks; one section in three deliberately small, 4-8 seats);
   a prerequisite that a third of the students failed last year; S year-2 students with their
   term enrollment and month 1 paid (buckets set directly in the database).
2. Starts `gunicorn wsgi:app` (3 gthread workers x 4 threads; `-w/-t` change it) with
   RATELIMIT_ENABLED=0 and tests/benchmarks/gunicorn_bench.py, which counts the SQL of every
   request into response headers (the app itself is unchanged). `--url` points at a server
   you started instead (the statement figures are then there only if it uses that config).
3. Sign-in, before the measured phase: C students (one per client) sign in through the real
   /login form; the other students' sessions are minted with the server's SECRET_KEY, because
   one argon2 verify costs ~0.3 s of CPU on this machine and sign-in is not what is measured
   (`--login form` signs every student in through the form).
4. The measured phase: C clients, each taking students in turn: GET /student/subjects (the
   picker; the CSRF token and the add forms come from that page), then 6-8 adds, each a POST
   of the add form with HX-Request and X-CSRFToken like HTMX sends it. A student picks subjects
   at random from the page's add forms, tries another section when one is full or clashes,
   stops at the unit cap; a few percent of the requests are deliberate mistakes (the same add
   again, a subject whose prerequisite was failed) so every refusal code shows up.
5. Afterwards, from the database: no section over capacity and every enrolled_count equal to
   its rows; no student over the unit cap and every enrolled_units equal to its rows; each
   success is a row; each refusal's code is right for the final state (seats and units only
   grow during the run, so a refusal that was right stays provable at the end).

Prints adds per second (successful enrollments and attempts), p50/p95/p99 latency of the adds
and of the picker page, SQL statements per add (the counter above: statements the app sends,
with transaction control and pool pings shown beside), the CPU each request cost the server,
PostgreSQL and the client (from /proc: comparable between runs even when other work shares the
cores), and errors. Exit status 1 if any check fails or any request errs.
"""
from __future__ import annotations

import argparse
import functools
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_enrollment"
PASSWORD = "bench-password-1"
SECRET = "bench-secret-key-not-for-production"
PROGRAMS = 8
SUBJECTS = 10  # per program, year 2 / 1st semester
BLOCKS = 7  # sections per subject
UNITS = [3, 3, 3, 3, 4, 4, 4, 5, 5, 3]
MAX_UNITS = 30


# --------------------------------------------------------------------------------------------
# 1. The database
# --------------------------------------------------------------------------------------------

def fresh_database(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": base.database})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}"'))
        conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "RICHWELL_ENV": "development"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "richwell", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)


@dataclass
class Catalogue:
    """What the bench built: enough to check every answer afterwards."""

    students: list[dict] = field(default_factory=list)  # user_id, student_id, te_id, program, number
    subjects: dict[int, dict] = field(default_factory=dict)  # id -> code, units, program, prereq
    offerings: dict[tuple[int, int], dict] = field(default_factory=dict)  # (subject, section) -> info
    failed_prereq: set[int] = field(default_factory=set)  # student ids who failed the prerequisite


def build(url: str, students: int, seed: int) -> Catalogue:
    from argon2 import PasswordHasher

    rng = random.Random(seed)
    engine = create_engine(url)
    cat = Catalogue()
    password_hash = PasswordHasher().hash(PASSWORD)
    now = datetime.now(timezone.utc)
    today = date.today()
    with engine.begin() as conn:
        def insert(table: str, rows: list[dict], returning: str | None = "id") -> list[int]:
            if not rows:
                return []
            cols = list(rows[0])
            sql = f'INSERT INTO {table} ({", ".join(cols)}) VALUES ({", ".join(":" + c for c in cols)})'
            if returning:
                ids = []
                for chunk in range(0, len(rows), 1000):
                    values = rows[chunk:chunk + 1000]
                    params, placeholders = {}, []
                    for i, row in enumerate(values):
                        placeholders.append("(" + ", ".join(f":{c}_{i}" for c in cols) + ")")
                        params.update({f"{c}_{i}": row[c] for c in cols})
                    ids += [r[0] for r in conn.execute(text(
                        f'INSERT INTO {table} ({", ".join(cols)}) VALUES {", ".join(placeholders)} '
                        f"RETURNING {returning}"), params)]
                return ids
            conn.execute(text(sql), rows)
            return []

        old_term, term = insert("terms", [
            dict(academic_year="2025-2026", semester="FIRST", start_date=today - timedelta(days=400),
                 end_date=today - timedelta(days=260), enrollment_open=today - timedelta(days=410),
                 enrollment_close=today - timedelta(days=395), drop_deadline=today - timedelta(days=380),
                 grade_deadline=today - timedelta(days=265), is_current=False, created_at=now),
            dict(academic_year="2026-2027", semester="FIRST", start_date=today - timedelta(days=5),
                 end_date=today + timedelta(days=120), enrollment_open=today - timedelta(days=3),
                 enrollment_close=today + timedelta(days=10), drop_deadline=today + timedelta(days=20),
                 grade_deadline=today + timedelta(days=125), is_current=True, created_at=now)])
        program_ids = insert("programs", [dict(code=f"BP{p}", name=f"Bench program {p}", years=4, is_active=True,
                                               created_at=now) for p in range(PROGRAMS)])
        prereq_of: dict[int, int] = {}
        program_subjects: dict[int, list[int]] = {}
        for p, pid in enumerate(program_ids):
            [pre] = insert("subjects", [dict(program_id=pid, code=f"BP{p}-101", title="Foundations", units=3,
                                             is_major=True, year_level=1, semester="FIRST", created_at=now)])
            ids = insert("subjects", [dict(program_id=pid, code=f"BP{p}-2{j:02d}", title=f"Year 2 subject {j}",
                                           units=UNITS[j], is_major=True, year_level=2, semester="FIRST",
                                           created_at=now) for j in range(SUBJECTS)])
            insert("subject_prerequisites", [dict(subject_id=ids[9], prerequisite_id=pre)], returning=None)
            prereq_of[pid] = pre
            program_subjects[pid] = ids
            for j, sid in enumerate(ids):
                cat.subjects[sid] = {"code": f"BP{p}-2{j:02d}", "units": UNITS[j], "program": pid,
                                     "prereq": pre if j == 9 else None}
            section_ids = insert("sections", [dict(term_id=term, program_id=pid, year_level=2, code=f"BP{p}-2{b}",
                                                   capacity=40, created_at=now) for b in range(BLOCKS)])
            for j, sid in enumerate(ids):
                for b, sec in enumerate(section_ids):
                    small = (b + j) % 3 == 0
                    capacity = rng.randint(4, 8) if small else 40
                    [oid] = insert("offerings", [dict(section_id=sec, subject_id=sid, professor_id=None,
                                                      capacity=capacity, enrolled_count=0, created_at=now)])
                    start = 7 * 60 + ((j // 5) * 2 + b) * 90  # blocks shift by 1.5 h: they clash across
                    day = j % 5
                    insert("schedule_slots", [dict(offering_id=oid, day=day,
                                                   start_time=dtime(start // 60, start % 60),
                                                   end_time=dtime((start + 90) // 60, (start + 90) % 60),
                                                   room=f"R{b}{j}", created_at=now)], returning=None)
                    cat.offerings[(sid, sec)] = {"offering_id": oid, "capacity": capacity, "day": day,
                                                 "start": start, "end": start + 90}

        users = insert("users", [dict(email=f"bench{n}@example.edu.ph", first_name="Bench", last_name=f"Student{n}",
                                      password_hash=password_hash, role="student", is_active_account=True,
                                      must_change_password=False, session_version=1, created_at=now)
                                 for n in range(students)])
        student_programs = [program_ids[n % PROGRAMS] for n in range(students)]
        student_ids = insert("students", [dict(user_id=uid, student_number=f"2025-{n + 1:05d}",
                                               program_id=student_programs[n], status="ACTIVE",
                                               admission_type="FRESHMAN", year_level=2, created_via="REGISTRAR",
                                               created_at=now) for n, uid in enumerate(users)])
        old_tes = insert("term_enrollments", [dict(student_id=sid, term_id=old_term, status="ACTIVE",
                                                   monthly_commitment=500000, credit_balance=0, enrolled_units=0,
                                                   created_at=now) for sid in student_ids])
        tes = insert("term_enrollments", [dict(student_id=sid, term_id=term, status="ACTIVE",
                                               monthly_commitment=500000, credit_balance=0, enrolled_units=0,
                                               created_at=now) for sid in student_ids])
        insert("month_buckets", [dict(term_enrollment_id=te, month=m, required=500000,
                                      paid=500000 if m == 1 else 0)
                                 for te in tes for m in range(1, 7)], returning=None)
        history = []
        for n, (sid, old) in enumerate(zip(student_ids, old_tes, strict=True)):
            failed = n % 3 == 0
            if failed:
                cat.failed_prereq.add(sid)
            history.append(dict(term_enrollment_id=old, subject_id=prereq_of[student_programs[n]], offering_id=None,
                                status="FAILED" if failed else "PASSED", is_retake=False, is_irregular=False,
                                grade="5.00" if failed else "2.00", enrolled_at=now - timedelta(days=400)))
        insert("subject_enrollments", history, returning=None)
        for n in range(students):
            cat.students.append({"user_id": users[n], "student_id": student_ids[n], "te_id": tes[n],
                                 "program": student_programs[n], "number": f"2025-{n + 1:05d}"})
        conn.execute(text("ANALYZE"))  # a live database has statistics; a fresh bulk load has none yet
    engine.dispose()
    return cat


# --------------------------------------------------------------------------------------------
# 2. The server
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    """gunicorn wsgi:app: gthread workers, or sync workers when threads is 1."""
    port = free_port()
    env = {"PUBLIC_BASE_URL": "http://127.0.0.1", **os.environ, "DATABASE_URL": url, "RICHWELL_ENV": "production",
           "SECRET_KEY": SECRET,
           "RATELIMIT_ENABLED": "0", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")}
    kind = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "-c", "tests/benchmarks/gunicorn_bench.py",
           "-w", str(workers), *kind, "-b", f"127.0.0.1:{port}",
           "--backlog", "2048", "--keep-alive", "30", "--log-level", "warning", "wsgi:app"]
    print("server: " + " ".join(cmd[1:]), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# 3. The clients
# --------------------------------------------------------------------------------------------

@functools.cache
def _session_serializer():
    from flask import Flask

    app = Flask("bench")
    app.secret_key = SECRET
    return app.session_interface.get_signing_serializer(app)


def mint_session(user_id: int) -> str:
    """The cookie a browser holds after signing in (Flask-Login's id carries the session version)."""
    return _session_serializer().dumps({"_user_id": f"{user_id}:1", "_fresh": True})


def sign_in(browser: "Browser", student: dict) -> bool:
    """Through the real form: GET /login for the CSRF token, POST the credentials."""
    browser.cookie = None
    _, html = browser.request("GET", "/login")
    token = CSRF_INPUT.search(html).group(1)
    response, _ = browser.request("POST", "/login", {"csrf_token": token, "identifier": student["number"],
                                                     "password": PASSWORD})
    return response.status == 302


class Browser:
    """One keep-alive connection with a cookie jar of one (the session cookie)."""

    def __init__(self, base: str):
        parsed = urllib.parse.urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookie: str | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = f"session={self.cookie}"
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1] or None
        return response, payload.decode("utf-8", "replace")


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ADD_ACTION = re.compile(r'action="/student/enrollments/(\d+)/subjects"')
ADD_FORM = re.compile(r'name="subject_id" value="(\d+)">\s*<input type="hidden" name="section_id" value="(\d+)"')


@dataclass
class Outcome:
    student_id: int
    subject_id: int
    section_id: int
    status: int
    code: str
    latency: float
    statements: int | None
    tx: int | None
    pings: int | None


def run_student(browser: Browser, student: dict, cat: Catalogue, rng: random.Random, out: list,
                page_latencies: list, errors: list) -> None:
    browser.cookie = student["cookie"]
    started = time.perf_counter()
    response, html = browser.request("GET", "/student/subjects")
    page_latencies.append(time.perf_counter() - started)
    if response.status != 200:
        errors.append(f"picker {student['number']}: {response.status}")
        return
    csrf = CSRF_META.search(html).group(1)
    action = ADD_ACTION.search(html)
    if action is None:
        errors.append(f"picker {student['number']}: no add forms")
        return
    te_id = int(action.group(1))
    forms: dict[int, list[int]] = defaultdict(list)
    for subject, section in ADD_FORM.findall(html):
        forms[int(subject)].append(int(section))
    headers = {"HX-Request": "true", "X-CSRFToken": csrf}
    path = f"/student/enrollments/{te_id}/subjects"

    def add(subject: int, section: int) -> Outcome:
        t0 = time.perf_counter()
        resp, _body = browser.request("POST", path, {"subject_id": subject, "section_id": section}, headers)
        elapsed = time.perf_counter() - t0
        code = "ok" if resp.status == 200 else (resp.getheader("X-Refusal-Code") or f"http_{resp.status}")
        outcome = Outcome(student["student_id"], subject, section, resp.status, code, elapsed,
                          _int(resp.getheader("X-SQL-Statements")), _int(resp.getheader("X-SQL-Tx")),
                          _int(resp.getheader("X-SQL-Pings")))
        out.append(outcome)
        return outcome

    wanted = rng.randint(6, 8)
    order = list(forms)
    rng.shuffle(order)
    enrolled: list[tuple[int, int]] = []
    attempts = 0
    for subject in order:
        if len(enrolled) >= wanted or attempts >= wanted + 6:
            break
        sections = forms[subject][:]
        rng.shuffle(sections)
        for section in sections[:3]:
            attempts += 1
            if rng.random() < 0.04 and enrolled:  # a double click: the same add again
                add(*rng.choice(enrolled))
                attempts += 1
            if rng.random() < 0.02:  # a subject whose prerequisite the student may have failed
                blocked = [s for s, info in cat.subjects.items() if info["prereq"] and info["program"] ==
                           student["program"]]
                sec = next(k[1] for k in cat.offerings if k[0] == blocked[0])
                add(blocked[0], sec)
                attempts += 1
            result = add(subject, section)
            if result.code == "ok":
                enrolled.append((subject, section))
                break
            if result.code == "unit_cap":
                return
            if result.code not in ("section_full", "schedule_conflict"):
                break


def sign_in_all(base: str, students: list[dict], clients: int, errors: list) -> dict[str, str]:
    """Sign these students in through the form, `clients` at a time (before the measured phase)."""
    cookies: dict[str, str] = {}
    todo = list(students)
    lock = threading.Lock()

    def worker() -> None:
        browser = Browser(base)
        while True:
            with lock:
                if not todo:
                    return
                student = todo.pop()
            if sign_in(browser, student):
                cookies[student["number"]] = browser.cookie
            else:
                errors.append(f"login {student['number']} failed")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return cookies


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --------------------------------------------------------------------------------------------
# 4. The checks
# --------------------------------------------------------------------------------------------

def verify(url: str, cat: Catalogue, outcomes: list[Outcome]) -> list[str]:
    problems: list[str] = []
    engine = create_engine(url)
    with engine.connect() as conn:
        over = conn.execute(text("SELECT count(*) FROM offerings WHERE enrolled_count > capacity")).scalar()
        if over:
            problems.append(f"{over} sections over capacity")
        drift = conn.execute(text(
            "SELECT count(*) FROM offerings o WHERE o.enrolled_count <> (SELECT count(*) FROM subject_enrollments s "
            "WHERE s.offering_id = o.id AND s.status = 'ENROLLED')")).scalar()
        if drift:
            problems.append(f"{drift} sections whose enrolled_count differs from their rows")
        capped = conn.execute(text("SELECT count(*) FROM term_enrollments WHERE enrolled_units > :m"),
                              {"m": MAX_UNITS}).scalar()
        if capped:
            problems.append(f"{capped} students over {MAX_UNITS} units")
        unit_drift = conn.execute(text(
            "SELECT count(*) FROM term_enrollments t WHERE t.enrolled_units <> (SELECT coalesce(sum(u.units), 0) "
            "FROM subject_enrollments s JOIN subjects u ON u.id = s.subject_id WHERE s.term_enrollment_id = t.id "
            "AND s.status = 'ENROLLED')")).scalar()
        if unit_drift:
            problems.append(f"{unit_drift} students whose enrolled_units differ from their rows")
        rows = conn.execute(text(
            "SELECT t.student_id, s.subject_id, o.section_id, s.offering_id FROM subject_enrollments s "
            "JOIN term_enrollments t ON t.id = s.term_enrollment_id JOIN offerings o ON o.id = s.offering_id "
            "WHERE s.status = 'ENROLLED'")).all()
        seats = {r[0]: (r[1], r[2]) for r in conn.execute(text("SELECT id, enrolled_count, capacity FROM offerings"))}
        units = dict(conn.execute(text("SELECT student_id, enrolled_units FROM term_enrollments t JOIN terms r "
                                       "ON r.id = t.term_id WHERE r.is_current")).all())
    engine.dispose()
    enrolled: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for student, subject, section, _ in rows:
        enrolled[student].add((subject, section))
    oks = [o for o in outcomes if o.code == "ok"]
    if len(oks) != len(rows):
        problems.append(f"{len(oks)} successful adds but {len(rows)} enrolled rows")
    wrong: Counter = Counter()
    for o in outcomes:
        info = cat.subjects[o.subject_id]
        off = cat.offerings[(o.subject_id, o.section_id)]
        mine = enrolled[o.student_id]
        if o.code == "ok":
            right = (o.subject_id, o.section_id) in mine
        elif o.code == "section_full":
            count, capacity = seats[off["offering_id"]]
            right = count >= capacity
        elif o.code == "unit_cap":
            right = units[o.student_id] + info["units"] > MAX_UNITS
        elif o.code == "schedule_conflict":
            right = any(cat.offerings[k]["day"] == off["day"] and cat.offerings[k]["start"] < off["end"]
                        and off["start"] < cat.offerings[k]["end"] for k in mine if k[0] != o.subject_id)
        elif o.code == "already_enrolled":
            right = any(k[0] == o.subject_id for k in mine)
        elif o.code == "prerequisite":
            right = info["prereq"] is not None and o.student_id in cat.failed_prereq
        else:
            right = False
        if not right:
            wrong[o.code] += 1
    for code, n in wrong.items():
        problems.append(f"{n} answers '{code}' not borne out by the final state")
    return problems


# --------------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = [pid]
    for child in Path("/proc").glob("[0-9]*"):
        try:
            if int(child.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found += _children(int(child.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class CpuMeter:
    """CPU seconds spent by the server (gunicorn's processes), PostgreSQL (the backends serving
    the bench database) and this client during the measured phase: the work per add, which
    other engineers' load on the shared cores does not change much, unlike the wall clock."""

    def __init__(self, server_pid: int | None, url: str):
        self.server_pid, self.url = server_pid, url
        self.engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def _backends(self) -> list[int]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :n"),
                                               {"n": make_url(self.url).database})]

    def snapshot(self) -> dict:
        server = sum(_cpu_seconds(p) for p in _children(self.server_pid)) if self.server_pid else None
        return {"server": server, "pg": {p: _cpu_seconds(p) for p in self._backends()},
                "client": time.process_time()}

    def spent(self, start: dict, end: dict) -> dict:
        pg = sum(cpu - start["pg"].get(pid, 0.0) for pid, cpu in end["pg"].items())
        server = None if start["server"] is None else end["server"] - start["server"]
        return {"server": server, "pg": pg, "client": end["client"] - start["client"]}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("-s", "--students", type=int, default=2000)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--url", help="an already running server on --database-url (rebuilt by the bench); "
                                      f"minted sessions need it started with SECRET_KEY={SECRET}, else use "
                                      "--login form")
    # gthread: 12 requests in flight overlap the commits' disk waits. (Sync workers spread the load
    # more evenly, as gthread pins each keep-alive client to one worker, but under the shared
    # machine's load they did worse: 34-36 against 51-82 enrollments/s on the default run.)
    parser.add_argument("-w", "--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("-t", "--threads", type=int, default=4, help="threads per worker (1: sync workers)")
    parser.add_argument("--login", choices=["first", "form"], default="first",
                        help="first: C students (one per client) sign in through /login, the others get a minted "
                             "session; form: every student signs in through /login (argon2: ~0.3 s CPU each)")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    t0 = time.perf_counter()
    fresh_database(args.database_url)
    migrate(args.database_url)
    cat = build(args.database_url, args.students, args.seed)
    print(f"setup: {args.students} students, {len(cat.subjects)} subjects, {len(cat.offerings)} sections "
          f"({sum(1 for o in cat.offerings.values() if o['capacity'] < 40)} small) in {time.perf_counter() - t0:.1f}s",
          flush=True)
    proc = None
    base = args.url
    if not base:
        proc, base = start_server(args.database_url, args.workers, args.threads)
    try:
        outcomes: list[Outcome] = []
        pages: list[float] = []
        errors: list[str] = []
        queue = list(cat.students)
        random.Random(args.seed).shuffle(queue)
        form_logins = queue if args.login == "form" else queue[-args.clients:]  # each client's first student
        signed = sign_in_all(base, form_logins, args.clients, errors)
        for student in queue:
            student["cookie"] = signed.get(student["number"]) or mint_session(student["user_id"])
        print(f"sign-in: {len(signed)} students through /login, {len(queue) - len(signed)} minted sessions",
              flush=True)
        lock = threading.Lock()
        barrier = threading.Barrier(args.clients + 1)

        def client(n: int) -> None:
            rng = random.Random(args.seed * 1000 + n)
            browser = Browser(base)
            barrier.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    student = queue.pop()
                try:
                    run_student(browser, student, cat, rng, outcomes, pages, errors)
                except Exception as error:  # noqa: BLE001  (counted and shown, never hidden)
                    errors.append(f"{student['number']}: {error!r}")

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        meter = CpuMeter(proc.pid if proc else None, args.database_url)
        before = meter.snapshot()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        cpu = meter.spent(before, meter.snapshot())
    finally:
        if proc:
            stop_server(proc)

    adds = [o.latency for o in outcomes]
    codes = Counter(o.code for o in outcomes)
    ok = codes.get("ok", 0)
    counted = [o for o in outcomes if o.statements is not None]
    problems = verify(args.database_url, cat, outcomes)
    ms = 1000
    print(f"\nmeasured phase: {wall:.1f}s, {args.clients} clients, {len(pages)} picker pages, {len(outcomes)} adds")
    print(f"enrollments/s: {ok / wall:.0f} successful ({ok}), {len(outcomes) / wall:.0f} add requests/s")
    print(f"add latency  p50 {pct(adds, 50) * ms:.0f} ms  p95 {pct(adds, 95) * ms:.0f} ms  "
          f"p99 {pct(adds, 99) * ms:.0f} ms  max {max(adds, default=0) * ms:.0f} ms")
    print(f"page latency p50 {pct(pages, 50) * ms:.0f} ms  p95 {pct(pages, 95) * ms:.0f} ms  "
          f"p99 {pct(pages, 99) * ms:.0f} ms")
    if counted:
        ok_counted = [o for o in counted if o.code == "ok"]
        print(f"SQL statements per add: {statistics.mean(o.statements for o in counted):.2f} mean "
              f"({statistics.mean(o.statements for o in ok_counted):.2f} per successful add, max "
              f"{max(o.statements for o in counted)}); beside them per add: "
              f"{statistics.mean(o.tx for o in counted):.2f} COMMIT/ROLLBACK, "
              f"{statistics.mean(o.pings for o in counted):.2f} pool pre-pings")
    else:
        print("SQL statements per add: not reported by this server (start it with -c tests/benchmarks/"
              "gunicorn_bench.py)")
    requests = len(outcomes) + len(pages)
    if cpu["server"] is not None and requests:
        per = {k: v / requests * ms for k, v in cpu.items()}
        total = sum(per.values())
        print(f"CPU per request (adds and pages alike): server {per['server']:.1f} ms, PostgreSQL {per['pg']:.1f} ms, "
              f"client {per['client']:.1f} ms; at that cost 2 idle cores would serve ~{2000 / total:.0f} "
              f"requests/s ({2000 / total * len(outcomes) / requests:.0f} add requests/s)")
    with open("/proc/loadavg") as f:
        print(f"machine load average during the run: {f.read().split()[0]} (2 cores, shared)")
    print("answers: " + ", ".join(f"{code} {n}" for code, n in codes.most_common()))
    print(f"errors: {len(errors)}" + ("" if not errors else " — " + "; ".join(errors[:5])))
    print("checks: " + ("all hold (no section over capacity, no student over the cap, counters equal their "
                        "rows, every answer borne out)" if not problems else "FAILED — " + "; ".join(problems)))
    if problems or errors or any(code.startswith("http_") for code in codes):
        sys.exit(1)


if __name__ == "__main__":
    main()
