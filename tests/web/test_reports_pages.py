"""Dashboard and report pages: who sees what, numbers that link to lists, CSV/XLSX downloads
with formulas neutralised, and a large export through the queue with an expiring link."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook  # noqa: F401  (only when installed)

from richwell.extensions import db
from richwell.models import ReportExport, Role
from richwell.services.platform import clock
from tests.factories.payments import pay
from tests.factories.people import make_enrollment, make_program, make_student, make_term


@pytest.fixture
def owing(app):
    make_term()
    program = make_program("BSIT")
    evil = make_student(program=program, first_name="=HYPERLINK(\"x\")", last_name="-Cruz")
    enrollment = make_enrollment(evil)
    other = make_enrollment(make_student(program=program))
    pay(other, "5000.00")
    return enrollment, other


@pytest.mark.parametrize("role,path,status", [
    ("registrar", "/reports/dashboard/registrar", 200), ("head_registrar", "/reports/dashboard/registrar", 200),
    ("cashier", "/reports/dashboard/registrar", 403), ("cashier", "/reports/dashboard/finance", 200),
    ("admin", "/reports/dashboard/finance", 200), ("admin", "/reports/dashboard/admin", 200),
    ("admission", "/reports/dashboard/admission", 200), ("admission", "/reports/dashboard/finance", 403),
    ("professor", "/reports/dashboard/registrar", 403), ("student", "/reports/dashboard/finance", 403),
    ("cashier", "/reports/aging", 200), ("registrar", "/reports/aging", 403), ("registrar", "/reports/enrollment", 200),
    ("cashier", "/reports/grades", 403), ("registrar", "/reports/incs", 200), ("registrar", "/reports/rosters", 200),
    ("cashier", "/reports/permits", 200), ("cashier", "/reports/payments", 200), ("cashier", "/reports/nothing", 404),
])
def test_role_visibility(owing, as_role, role, path, status):
    client, _ = as_role(role)
    assert client.get(path).status_code == status


def test_registrar_dashboard_numbers_link_to_their_lists(owing, as_role):
    client, _ = as_role("registrar")
    html = client.get("/reports/dashboard/registrar").get_data(as_text=True)
    assert "<svg" in html and "<desc" in html
    assert 'href="/reports/enrollment?term_id=' in html and "stage=paid" in html
    listing = client.get("/reports/enrollment?stage=paid").get_data(as_text=True)
    assert owing[1].student.student_number in listing and owing[0].student.student_number not in listing


def test_bad_filter_is_shown_at_its_field(owing, as_role):
    client, _ = as_role("cashier")
    response = client.get("/reports/payments?date_from=2026-08-10&date_to=2026-08-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_aging_csv_neutralises_formulas(owing, as_role):
    client, _ = as_role("cashier")
    response = client.get("/reports/aging?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["Student number", "Name"]
    names = [r[1] for r in rows[1:]]
    assert "'-Cruz, =HYPERLINK(\"x\")" in names


def test_aging_xlsx_has_no_formulas(owing, as_role):
    client, _ = as_role("cashier")
    response = client.get("/reports/aging?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Student number"
    assert "'-Cruz, =HYPERLINK(\"x\")" in [r[1] for r in values[1:]]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_large_export_runs_on_the_queue_for_its_requester_only(app, owing, as_role, login, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_QUEUE_ROWS", 1)  # the app outlives the test
    client, cashier = as_role("cashier")
    response = client.get("/reports/aging?format=csv")
    assert response.status_code == 302
    export = db.session.query(ReportExport).one()
    assert export.requester_id == cashier.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Download" in page and "<progress" in page
    db.session.refresh(export)
    assert (export.status, export.done, export.total) == ("DONE", 2, 2)
    link = f"/reports/exports/{export.id}/download?token={export.token}"
    body = client.get(link)
    assert body.status_code == 200 and b"Student number" in body.data
    other, _ = as_role("cashier")
    assert other.get(link).status_code == 404
    assert other.get(f"/reports/exports/{export.id}").status_code == 404
    assert client.get(f"/reports/exports/{export.id}/download?token=wrong").status_code == 404
    export.expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 404


def test_staff_home_pages_show_pending_work(owing, as_role):
    client, _ = as_role("registrar")
    assert "Pending work" in client.get("/registrar/").get_data(as_text=True)
    client, _ = as_role("admin")
    assert "failed jobs" in client.get("/admin/").get_data(as_text=True)
    client, _ = as_role("admission")
    assert "applications to review" in client.get("/admission/").get_data(as_text=True)


def test_dashboard_redirects_to_the_roles_own(owing, as_role):
    client, _ = as_role(Role.CASHIER.value)
    assert client.get("/reports/dashboard").headers["Location"].endswith("/reports/dashboard/finance")


def test_document_releases_report_lists_every_release_for_the_head_registrar(app, as_role):
    from richwell.services import documents
    from tests.factories import add_to_class, make_class, make_user

    offering = make_class(term=make_term(), units=3)
    student = make_student(program=offering.subject.program, last_name="Villanueva")
    add_to_class(offering, student)
    registrar = make_user(Role.REGISTRAR, first_name="Rosa", last_name="Registrar")
    kept = documents.release(registrar, student.id, kind="COE", purpose="Visa")
    revoked = documents.release(registrar, student.id, kind="CGM", purpose="Employment")
    documents.revoke(registrar, revoked.id, reason="Released to the wrong person by mistake")

    client, _ = as_role("registrar")
    assert client.get("/reports/documents").status_code == 403  # a registrar sees their own under Documents
    client, _ = as_role("head_registrar")
    page = client.get("/reports/documents").get_data(as_text=True)
    assert kept.number in page and revoked.number in page and "Registrar, Rosa" in page
    download = client.get("/reports/documents?format=csv")
    assert download.status_code == 200, download.get_data(as_text=True)[-3000:]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0][:3] == ["Released", "Number", "Kind"]
    by_number = {r[1]: r for r in rows[1:]}
    assert by_number[kept.number][2] == "COE" and by_number[kept.number][-1] == ""
    assert by_number[revoked.number][-1] != ""
