"""Issue 15: every absolute link (QR codes, printed addresses, API pages) is built on
PUBLIC_BASE_URL, never on the request's Host header."""
from __future__ import annotations

import pytest

from richwell.config import ConfigError, load_config
from richwell.extensions import db
from richwell.models import ExamPermit
from richwell.services import grades
from tests.factories import make_enrollment, make_program, make_student, pay

SPOOFED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
EVIL = "http://evil.example"  # the Host header a client chose


def _login_at(client, user):
    with client.session_transaction(base_url=EVIL) as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def public_base(app):
    app.config["PUBLIC_BASE_URL"] = "https://portal.richwell.edu.ph"
    try:
        yield "https://portal.richwell.edu.ph"
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://localhost"


def test_a_permits_qr_and_address_use_the_public_base_url(client, public_base):
    enrollment = make_enrollment()
    pay(enrollment, "5000.00")  # month 1 of a 5,000 commitment → the PRELIM permit
    permit = db.session.query(ExamPermit).filter_by(status="ISSUED").first()
    _login_at(client, enrollment.student.user)
    page = client.get(f"/student/permits/{permit.id}", headers=SPOOFED, base_url=EVIL)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"{public_base}/verify/{permit.code}" in body
    assert "evil.example" not in body


def test_a_transcripts_qr_uses_the_public_base_url(client, public_base):
    student = make_student()
    _login_at(client, student.user)
    issued = grades.issue_transcript(student.user, student.id)
    response = client.get(f"/student/transcripts/{issued.id}", headers=SPOOFED, base_url=EVIL)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:300]
    assert f"{public_base}/verify/" in body and "evil.example" not in body


def test_api_pages_link_to_the_public_base_url(client, public_base):
    for _ in range(25):
        make_program()
    response = client.get("/api/v1/public/programs/", headers=SPOOFED, base_url=EVIL)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["next"] == f"{public_base}/api/v1/public/programs/?page=2"
    second = client.get("/api/v1/public/programs/?page=2", headers=SPOOFED, base_url=EVIL).get_json()
    assert second["previous"] == f"{public_base}/api/v1/public/programs/?page=1"


def test_production_needs_a_public_base_url(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config({"RICHWELL_ENV": "production", "SECRET_KEY": "k" * 40})
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portal.richwell.edu.ph/")
    assert load_config({"RICHWELL_ENV": "production", "SECRET_KEY": "k" * 40})["PUBLIC_BASE_URL"] == \
        "https://portal.richwell.edu.ph"
    monkeypatch.setenv("PUBLIC_BASE_URL", "javascript:alert(1)")
    with pytest.raises(ConfigError):
        load_config({"RICHWELL_ENV": "production", "SECRET_KEY": "k" * 40})


def test_mailed_notifications_link_to_the_public_base_url(public_base):
    from richwell.models import OutboxEmail, Role
    from richwell.services.platform import notifications, outbox
    from richwell.services.platform.unit_of_work import unit_of_work
    from tests.factories import make_user

    user = make_user(Role.STUDENT)
    with unit_of_work():
        notifications.notify(user.id, "announcement", "Enrollment opens Monday.", "/student/")
        notifications.notify(user.id, "announcement", "No link here.")
    assert outbox.collect() == 2
    bodies = sorted(m.body for m in db.session.query(OutboxEmail))
    assert bodies == ["Enrollment opens Monday.\n\nOpen it on the portal: https://portal.richwell.edu.ph/student/",
                      "No link here."]
