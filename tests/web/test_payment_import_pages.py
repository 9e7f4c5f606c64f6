"""The cashier's online-payment import pages: upload, refusals at the file field, live progress
as an HTMX partial, the summary, other roles kept out; and the page works with Redis down."""
from __future__ import annotations

import io

import pytest
from huey import PriorityRedisHuey as RedisHuey  # the portal queue is the priority one
from sqlalchemy import func, select

from richwell import tasks
from richwell.extensions import db
from richwell.models import JobRun, Payment, PaymentImport
from richwell.services.platform import jobs
from tests.factories import make_enrollment, make_student, make_term

CSV = b"reference,student number,amount,date\nGC-1,2026-00301,1500,2026-01-05\nGC-2,2026-00399,10,2026-01-05\n"


@pytest.fixture
def enrolled():
    return make_enrollment(make_student(number="2026-00301"), make_term())


def _upload(client, content: bytes, name="gcash.csv", method="GCASH", **kwargs):
    return client.post("/cashier/imports", data={"file": (io.BytesIO(content), name), "method": method},
                       content_type="multipart/form-data", **kwargs)


def test_cashier_uploads_and_reads_the_summary(as_role, enrolled):
    client, _ = as_role("cashier")
    assert "Import a GCash or bank export" in client.get("/cashier/imports").get_data(as_text=True)
    response = _upload(client, CSV)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'aria-live="polite"' in page and "Summary" in page
    assert 'id="import-recorded">1<' in page and 'id="import-refused">1<' in page
    assert "No student has the number 2026-00399." in page
    assert "gcash.csv" in client.get("/cashier/imports").get_data(as_text=True)


def test_progress_is_a_partial_that_polls_until_the_rows_are_done(as_role, enrolled, monkeypatch):
    client, _ = as_role("cashier")
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: None)  # a busy queue
    location = _upload(client, CSV).headers["Location"]
    partial = client.get(location, headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"] and "<html" not in html
    assert 'hx-trigger="every 1s"' in html and "Recording… 1 of 2 rows done." in html


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty."),
    (b"ref;student;amount\n1;2;3\n", "Wrong columns"),
    ("reference,student number,amount,date\nGC-Ñ,2026-00301,1,2026-01-05\n".encode("latin-1"), "not UTF-8"),
])
def test_a_broken_file_is_refused_at_the_file_field_and_nothing_is_stored(as_role, enrolled, content, message):
    client, _ = as_role("cashier")
    response = _upload(client, content)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="file-error"' in html
    assert db.session.scalar(select(func.count(PaymentImport.id))) == 0


def test_no_file_and_a_wrong_method_are_refused(as_role, enrolled):
    client, _ = as_role("cashier")
    no_file = client.post("/cashier/imports", data={"method": "GCASH"}, content_type="multipart/form-data")
    assert no_file.status_code == 400 and "Choose the CSV file to import." in no_file.get_data(as_text=True)
    wrong = _upload(client, CSV, method="CASH")
    assert wrong.status_code == 400 and "Choose GCash or bank transfer." in wrong.get_data(as_text=True)


def test_an_unknown_import_is_404_and_other_roles_are_kept_out(as_role, enrolled):
    client, _ = as_role("cashier")
    assert client.get("/cashier/imports/999999").status_code == 404
    for role in ("student", "registrar", "admin"):
        other, _ = as_role(role)
        assert other.get("/cashier/imports").status_code in (302, 403, 404)
        assert _upload(other, CSV).status_code in (302, 403, 404)
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_the_import_page_keeps_working_when_redis_is_down_and_the_sweep_records_later(as_role, enrolled):
    client, _ = as_role("cashier")
    dead = RedisHuey("richwell-down", url="redis://127.0.0.1:1/0")
    saved = tasks.huey.storage, tasks.huey._immediate
    tasks.huey.storage, tasks.huey._immediate = dead.storage, False
    try:
        response = _upload(client, CSV)
        assert response.status_code == 302
        assert "Recording… 1 of 2 rows done." in client.get(response.headers["Location"]).get_data(as_text=True)
    finally:
        tasks.huey.storage, tasks.huey._immediate = saved
    assert db.session.scalar(select(JobRun.outcome).where(JobRun.task == "import_payment_rows")) == "PENDING"
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    assert jobs.requeue_stale() == 1
    assert db.session.scalar(select(func.count(Payment.id))) == 1
