"""Student API for documents: my list, detail and download (audited); another student's or a
revoked document is 404; the public verify answers DOCUMENT, valid or revoked; all in the
OpenAPI document."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AuditEntry, Role
from richwell.services import documents
from tests.factories import make_api_token, make_student, make_term, make_user, token_headers


@pytest.fixture
def released():
    make_term()
    student = make_student()
    item = documents.release(make_user(Role.REGISTRAR), student.id, kind="CGM", purpose="Employment")
    return student, item


def _get(client, url, user):
    return client.get(url, headers=token_headers(make_api_token(user)))


def test_my_documents_list_and_detail(client, released):
    student, item = released
    page = _get(client, "/api/v1/student/documents/", student.user).get_json()
    assert page["count"] == 1 and page["next"] is None
    body = page["results"][0]
    assert body["number"] == item.number and body["kind"] == "CGM" and body["code"] == item.code
    assert body["verify_url"].endswith(f"/verify/{item.code}")
    assert body["download_url"].endswith(f"/api/v1/student/documents/{item.id}/download/")
    detail = _get(client, f"/api/v1/student/documents/{item.id}/", student.user).get_json()
    assert detail == body


def test_download_is_the_pdf_and_audited(client, released):
    student, item = released
    response = _get(client, f"/api/v1/student/documents/{item.id}/download/", student.user)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "document.download"))
    assert entry.actor_id == student.user_id and entry.after == {"number": item.number, "as": "api download"}


def test_another_students_or_a_revoked_document_is_404(client, released):
    student, item = released
    other = make_student()
    for url in (f"/api/v1/student/documents/{item.id}/", f"/api/v1/student/documents/{item.id}/download/"):
        response = _get(client, url, other.user)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert _get(client, "/api/v1/student/documents/", other.user).get_json()["count"] == 0
    documents.revoke(item.released_by, item.id, "Issued by mistake")
    assert _get(client, f"/api/v1/student/documents/{item.id}/", student.user).status_code == 404
    assert _get(client, f"/api/v1/student/documents/{item.id}/download/", student.user).status_code == 404
    assert _get(client, "/api/v1/student/documents/", student.user).get_json()["count"] == 0


def test_staff_tokens_cannot_use_the_student_routes(client, released):
    _, item = released
    assert _get(client, f"/api/v1/student/documents/{item.id}/", make_user(Role.REGISTRAR)).status_code == 403


def test_public_verify_answers_a_document_valid_then_revoked(client, released):
    _, item = released
    body = client.get(f"/api/v1/public/verify/{item.code}/").get_json()
    assert body["kind"] == "DOCUMENT" and body["valid"] is True and body["status"] == "Valid"
    assert body["document"] == "Certificate of good moral character" and body["revoked_at"] is None
    assert set(body) <= {"valid", "kind", "status", "code", "student_name", "student_number", "document",
                         "issued_at", "revoked_at"}
    documents.revoke(item.released_by, item.id, "Issued by mistake")
    body = client.get(f"/api/v1/public/verify/{item.code}/").get_json()
    assert body["valid"] is False and body["status"] == "Revoked" and body["revoked_at"]
    assert client.get("/api/v1/public/verify/AAAA-BBBB-CCCC-DDDD/").status_code == 404


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/schema/").get_json()["paths"]
    for path in ("/api/v1/student/documents/", "/api/v1/student/documents/{release_id}/",
                 "/api/v1/student/documents/{release_id}/download/"):
        assert "get" in paths[path], path


@pytest.fixture
def throttled(database_url):
    from richwell import create_app

    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "API_RATE_LIMIT_ANONYMOUS": "3 per hour"})
    with app.app_context():
        yield app
        db.session.remove()


def test_guessing_codes_is_throttled_on_the_api_and_the_page(throttled):
    client = throttled.test_client()
    guesses = [f"AAAA-BBBB-CCCC-{n:04d}".replace("0", "A").replace("1", "B") for n in range(70)]
    for guess in guesses[:3]:
        assert client.get(f"/api/v1/public/verify/{guess}/").status_code == 404
    throttled_answer = client.get(f"/api/v1/public/verify/{guesses[3]}/")
    assert throttled_answer.status_code == 429 and throttled_answer.get_json()["error"]["code"] == "throttled"
    answers = [client.get(f"/verify/{guess}").status_code for guess in guesses[:61]]
    assert set(answers[:60]) == {404} and answers[60] == 429
