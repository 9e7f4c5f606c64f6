"""Document pages: the registrar's release (preview, then release), list with CSV, revocation,
requests queue; the student's My documents (own only, revoked gone, downloads audited); the
admin's list; the public verification page."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, DocumentRelease, DocumentRequest, Role
from richwell.services import documents
from tests.factories import PNG_BYTES, add_to_class, make_class, make_student, make_term, make_user


@pytest.fixture
def student():
    make_term()
    offering = make_class(units=3)
    student = make_student(program=offering.subject.program)
    add_to_class(offering, student)
    return student


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_student_page_links_to_release_a_document(as_role, student):
    client, _ = as_role("registrar")
    page = client.get(f"/registrar/students/{student.id}")
    assert f"/registrar/students/{student.id}/documents/release" in page.text


def test_preview_shows_the_document_and_records_nothing_then_release(as_role, student):
    client, registrar = as_role("registrar")
    url = f"/registrar/students/{student.id}/documents/release"
    assert client.get(url).status_code == 200
    preview = client.post(url, data={"kind": "COE", "purpose": "Scholarship", "copies": "1", "action": "preview"})
    assert preview.status_code == 200
    assert "every rule passed" in preview.text and "officially enrolled" in preview.text
    assert count(DocumentRelease) == 0
    released = client.post(url, data={"kind": "COE", "purpose": "Scholarship", "copies": "1", "action": "release"})
    assert released.status_code == 302
    item = db.session.scalar(select(DocumentRelease))
    assert item.kind == "COE" and item.released_by_id == registrar.id
    page = client.get(released.headers["Location"])
    assert item.number in page.text and item.code in page.text and "<svg" in page.text


def test_bad_input_answers_422_at_the_field_and_records_nothing(as_role, student):
    client, _ = as_role("registrar")
    url = f"/registrar/students/{student.id}/documents/release"
    empty = client.post(url, data={"kind": "CGM", "purpose": "", "action": "release"})
    assert empty.status_code == 422 and "Enter the purpose" in empty.text
    fake = client.post(url, data={"kind": "OTH", "title": "Cert", "purpose": "Employment", "action": "release",
                                  "scan": (io.BytesIO(b"GIF89a not allowed"), "scan.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "PDF, JPEG or PNG" in fake.text
    diploma = client.post(url, data={"kind": "DIP", "purpose": "Personal copy", "action": "release"})
    assert diploma.status_code == 422 and "has not graduated" in diploma.text
    assert client.post("/registrar/students/999999/documents/release",
                       data={"kind": "CGM", "purpose": "x", "action": "release"}).status_code == 404
    assert count(DocumentRelease) == 0


def test_a_signed_scan_is_released_and_served_as_uploaded(as_role, student, login):
    client, _ = as_role("registrar")
    response = client.post(f"/registrar/students/{student.id}/documents/release",
                           data={"kind": "OTH", "title": "Certification of units earned", "purpose": "Employment",
                                 "action": "release", "scan": (io.BytesIO(PNG_BYTES), "scan.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    item = db.session.scalar(select(DocumentRelease))
    student_client = login(student.user, client.application.test_client())
    served = student_client.get(f"/student/documents/{item.id}/file")
    assert served.status_code == 200 and served.data == PNG_BYTES and served.mimetype == "image/png"


def test_the_student_sees_prints_and_downloads_only_their_own(app, student, login):
    registrar = make_user(Role.REGISTRAR)
    item = documents.release(registrar, student.id, kind="CGM", purpose="Employment")
    client = login(student.user, app.test_client())
    listing = client.get("/student/documents")
    assert item.number in listing.text
    page = client.get(f"/student/documents/{item.id}")
    assert page.status_code == 200 and "data-print" in page.text and "good moral character" in page.text
    pdf = client.get(f"/student/documents/{item.id}/file?download=1")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers[
        "Content-Disposition"]
    audited = db.session.scalars(select(AuditEntry.after).where(AuditEntry.action == "document.download")).all()
    assert [a["as"] for a in audited] == ["view", "download"]
    other_client = login(make_student().user, app.test_client())
    assert other_client.get(f"/student/documents/{item.id}").status_code == 404
    assert other_client.get(f"/student/documents/{item.id}/file").status_code == 404
    documents.revoke(registrar, item.id, "Wrong purpose")
    assert client.get(f"/student/documents/{item.id}").status_code == 404
    assert client.get(f"/student/documents/{item.id}/file").status_code == 404
    assert item.number not in client.get("/student/documents").text


def test_a_student_requests_and_the_registrar_declines(app, student, login):
    client = login(student.user, app.test_client())
    bad = client.post("/student/documents/request", data={"kind": "COE", "purpose": "", "copies": "1"})
    assert bad.status_code == 422 and count(DocumentRequest) == 0
    assert client.post("/student/documents/request",
                       data={"kind": "COE", "purpose": "Scholarship", "copies": "1"}).status_code == 302
    registrar_client = login(make_user(Role.REGISTRAR), app.test_client())
    queue = registrar_client.get("/registrar/documents/requests")
    request_id = db.session.scalar(select(DocumentRequest.id))
    assert student.student_number in queue.text and f"request_id={request_id}" in queue.text
    assert registrar_client.post(f"/registrar/documents/requests/{request_id}/decline",
                                 data={"note": ""}).status_code == 422
    assert registrar_client.post(f"/registrar/documents/requests/{request_id}/decline",
                                 data={"note": "Clearance first"}).status_code == 302
    assert "Clearance first" in client.get("/student/documents").text


def test_revoking_from_the_page_shows_on_the_public_verify_page(as_role, student, client):
    registrar_client, registrar = as_role("registrar")
    item = documents.release(registrar, student.id, kind="CGM", purpose="Employment")
    assert "Valid" in client.get(f"/verify/{item.code}").text
    assert registrar_client.post(f"/registrar/documents/{item.id}/revoke", data={"reason": ""}).status_code == 422
    assert registrar_client.post(f"/registrar/documents/{item.id}/revoke",
                                 data={"reason": "Printed on the wrong paper"}).status_code == 302
    answer = client.get(f"/verify/{item.code}")
    assert "Not valid" in answer.text and "revoked" in answer.text and "data-revoked-at" in answer.text
    assert registrar_client.post(f"/registrar/documents/{item.id}/revoke",
                                 data={"reason": "Again"}).status_code == 409


def test_lists_registrar_own_head_and_admin_all_with_csv(app, login, student):
    registrar = make_user(Role.REGISTRAR)
    registrar_client = login(registrar, app.test_client())
    mine = documents.release(registrar, student.id, kind="CGM", purpose="Employment")
    theirs = documents.release(make_user(Role.REGISTRAR), student.id, kind="COE", purpose="Visa")
    own = registrar_client.get("/registrar/documents")
    assert mine.number in own.text and theirs.number not in own.text
    assert registrar_client.get(f"/registrar/documents/{theirs.id}").status_code == 404
    head_client = login(make_user(Role.HEAD_REGISTRAR), app.test_client())
    every = head_client.get("/registrar/documents?kind=COE")
    assert theirs.number in every.text and mine.number not in every.text
    csv = head_client.get("/registrar/documents?format=csv")
    assert csv.mimetype == "text/csv" and mine.number in csv.text and theirs.number in csv.text
    admin_client = login(make_user(Role.ADMIN), app.test_client())
    listing = admin_client.get("/admin/documents")
    assert mine.number in listing.text and theirs.number in listing.text
    assert admin_client.get(f"/admin/documents/{mine.id}/file").data.startswith(b"%PDF")
    assert head_client.get("/registrar/documents?date_from=yesterday").status_code == 200  # told, not a 500


def test_the_student_hub_lists_the_releases_the_viewer_may_see(app, login, student):
    registrar = make_user(Role.REGISTRAR)
    mine = documents.release(registrar, student.id, kind="CGM", purpose="Employment")
    theirs = documents.release(make_user(Role.REGISTRAR), student.id, kind="COE", purpose="Visa")
    own = login(registrar, app.test_client()).get(f"/registrar/students/{student.id}").text
    assert mine.number in own and theirs.number not in own
    every = login(make_user(Role.HEAD_REGISTRAR), app.test_client()).get(f"/registrar/students/{student.id}").text
    assert mine.number in every and theirs.number in every
