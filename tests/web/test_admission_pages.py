"""Admission staff: the applications list with filters, one application, its documents, the review."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AdmissionReview, Role
from richwell.services import admissions
from tests.factories import application_values, documents, make_program, open_admissions

pytestmark = pytest.mark.usefixtures("empty_uploads")


@pytest.fixture
def applications():
    bsit = open_admissions(program=make_program("BSIT"))
    bsba = make_program("BSBA")
    freshman = admissions.submit_application(documents=documents(), **application_values(bsit, first_name="Fresh"))
    transferee = admissions.submit_application(**application_values(
        bsba, first_name="Trans", admission_type="TRANSFEREE", previous_school="UST", previous_course="BSA"))
    return freshman.student, transferee.student, bsit


def test_applications_list_shows_recent_applications(as_role, applications):
    freshman, transferee, _ = applications
    client, _ = as_role(Role.ADMISSION.value)
    html = client.get("/admission/").get_data(as_text=True)
    assert "<h1>Applications</h1>" in html
    assert html.index(transferee.student_number) < html.index(freshman.student_number)  # newest first


@pytest.mark.parametrize("query,fresh,trans", [("type=TRANSFEREE", False, True), ("status=PENDING", True, True),
                                               ("status=COMPLETE", False, False), ("from=2000-01-01", True, True),
                                               ("to=2000-01-01", False, False), ("from=garbage", True, True)])
def test_applications_list_filters(as_role, applications, query, fresh, trans):
    freshman, transferee, _ = applications
    client, _ = as_role(Role.ADMISSION.value)
    html = client.get(f"/admission/?{query}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html  # the HTMX filter swaps only the table
    assert (freshman.student_number in html) is fresh
    assert (transferee.student_number in html) is trans


def test_applications_list_filters_by_program(as_role, applications):
    freshman, transferee, bsit = applications
    client, _ = as_role(Role.ADMISSION.value)
    html = client.get(f"/admission/?program={bsit.id}").get_data(as_text=True)
    assert freshman.student_number in html and transferee.student_number not in html


def test_application_page_lists_documents_with_access_checked_links(as_role, applications):
    freshman, _, _ = applications
    client, _ = as_role(Role.ADMISSION.value)
    html = client.get(f"/admission/applications/{freshman.id}").get_data(as_text=True)
    docs = admissions.documents_of(freshman.id)
    for doc in docs:
        assert f"/application-documents/{doc.id}" in html
    assert client.get(f"/application-documents/{docs[0].id}").status_code == 200
    assert client.get("/admission/applications/999999").status_code == 404


def test_marking_incomplete_needs_a_note_and_the_student_sees_it(as_role, login, client, applications):
    freshman, _, _ = applications
    staff_client, _ = as_role(Role.ADMISSION.value)
    url = f"/admission/applications/{freshman.id}/review"
    refused = staff_client.post(url, data={"status": "INCOMPLETE", "note": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "Enter the note" in refused.get_data(as_text=True)
    saved = staff_client.post(url, data={"status": "INCOMPLETE", "note": "Good moral is unsigned."},
                              headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Review saved" in saved.get_data(as_text=True)
    review = db.session.scalar(select(AdmissionReview).where(AdmissionReview.student_id == freshman.id))
    assert (review.documents_status, review.note) == ("INCOMPLETE", "Good moral is unsigned.")
    student_client = login(freshman.user, client)
    assert "Good moral is unsigned." in student_client.get("/student/").get_data(as_text=True)


def test_marking_complete_without_htmx_redirects_back(as_role, applications):
    freshman, _, _ = applications
    client, _ = as_role(Role.ADMISSION.value)
    response = client.post(f"/admission/applications/{freshman.id}/review", data={"status": "COMPLETE", "note": ""})
    assert response.status_code == 302
    assert admissions.review_of(freshman.id).documents_status == "COMPLETE"


@pytest.mark.parametrize("role", [Role.STUDENT, Role.CASHIER, Role.REGISTRAR, Role.PROFESSOR])
def test_admission_pages_are_for_admission_staff_only(as_role, applications, role):
    freshman, _, _ = applications
    client, _ = as_role(role.value)
    assert client.get("/admission/").status_code == 403
    assert client.post(f"/admission/applications/{freshman.id}/review",
                       data={"status": "COMPLETE"}).status_code == 403
