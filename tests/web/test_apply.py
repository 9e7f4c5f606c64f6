"""The public application page, its confirmation, and the access-checked document route."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import ApplicationDocument, Role, Student, User
from richwell.services import admissions
from tests.factories import (
    EXE_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    application_values,
    documents,
    make_user,
    open_admissions,
)

pytestmark = pytest.mark.usefixtures("empty_uploads")


def _form(program, files: dict | None = None, **overrides) -> dict:
    values = application_values(program, **overrides)
    data = {k: ("" if v is None else str(v)) for k, v in values.items()}
    data["confirm_password"] = overrides.get("confirm_password", values["password"])
    default_files = {"id_document": (PNG_BYTES, "id.png"), "form138_document": (PDF_BYTES, "form138.pdf"),
                     "good_moral_document": (JPEG_BYTES, "good-moral.jpg")}
    default_files.update(files or {})
    for name, item in default_files.items():
        if item is not None:
            data[name] = (io.BytesIO(item[0]), item[1])
    return data


def _post(client, data, **headers):
    return client.post("/apply", data=data, content_type="multipart/form-data", headers=headers)


def _students() -> int:
    return db.session.scalar(select(func.count(Student.id)))


def test_application_page_shows_the_form_while_the_link_is_on(client):
    open_admissions()
    page = client.get("/apply")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ("First name", "Birthdate", "Mobile number", "Monthly installment", "Valid ID",
                  "Form 138 or transcript of records", "good moral"):
        assert label in html
    assert 'enctype="multipart/form-data"' in html
    assert 'hx-get="/apply/transferee-fields"' in html


def test_application_page_is_a_polite_closed_page_while_the_link_is_off(client):
    open_admissions(link=False)
    page = client.get("/apply")
    assert page.status_code == 200
    assert "Online applications are closed" in page.get_data(as_text=True)
    assert "<form method=\"post\" enctype" not in page.get_data(as_text=True)


def test_form_posted_while_the_link_is_off_creates_nothing(client):
    program = open_admissions(link=False)
    response = _post(client, _form(program))
    assert response.status_code == 403
    assert "Online applications are closed" in response.get_data(as_text=True)
    assert _students() == 0 and db.session.scalar(select(func.count(User.id))) == 0


def test_freshman_applies_and_sees_the_student_number_and_how_to_sign_in(client):
    program = open_admissions()
    response = _post(client, _form(program, first_name="Andrea"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply/done")
    student = db.session.scalar(select(Student))
    assert len(admissions.documents_of(student.id)) == 3
    page = client.get("/apply/done").get_data(as_text=True)
    assert student.student_number in page and "Welcome to Richwell Colleges, Andrea" in page
    assert "sign in" in page.lower() and "/login" in page


def test_confirmation_without_an_application_goes_back_to_the_form(client):
    open_admissions()
    assert client.get("/apply/done").headers["Location"].endswith("/apply")


def test_web_form_requires_the_three_documents_and_reports_every_problem_at_once(client):
    program = open_admissions()
    response = _post(client, _form(program, files={"good_moral_document": None, "id_document": None}, mobile="123"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Attach your valid id" in html and "Attach your certificate of good moral character" in html
    assert "Philippine mobile number" in html
    assert 'id="mobile-error"' in html and 'aria-invalid="true"' in html
    assert _students() == 0


def test_duplicate_email_shows_a_clear_message_at_the_email_field_and_creates_nothing(client):
    program = open_admissions()
    admissions.submit_application(**application_values(program, email="ana@example.com"))
    response = _post(client, _form(program, email="ANA@example.com"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html and "already exists" in html
    assert _students() == 1
    assert db.session.scalar(select(func.count(ApplicationDocument.id))) == 0


def test_transferee_without_previous_school_is_refused_at_that_field(client):
    program = open_admissions()
    response = _post(client, _form(program, admission_type="TRANSFEREE", previous_course="BSCS"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="previous_school-error"' in html and "Enter the previous school" in html
    assert _students() == 0


@pytest.mark.parametrize("overrides,field,message", [
    ({"mobile": "+1 415 555 0100"}, "mobile", "Philippine mobile number"),
    ({"birthdate": "2999-01-01"}, "birthdate", "cannot be in the future"),
    ({"birthdate": "2020-01-01"}, "birthdate", "at least 14"),
    ({"monthly_commitment": "500"}, "monthly_commitment", "at least"),
    ({"monthly_commitment": "2500.125"}, "monthly_commitment", "2 decimals"),
    ({"confirm_password": "something-else"}, "confirm_password", "do not match"),
])
def test_bad_input_is_shown_at_its_field_and_nothing_is_created(client, overrides, field, message):
    program = open_admissions()
    response = _post(client, _form(program, **overrides))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert _students() == 0


def test_an_exe_renamed_pdf_is_refused(client):
    program = open_admissions()
    response = _post(client, _form(program, files={"form138_document": (EXE_BYTES, "form138.pdf")}))
    assert response.status_code == 400
    assert "must be a PDF, JPEG or PNG" in response.get_data(as_text=True)
    assert _students() == 0


def test_a_6_mb_file_is_refused(client):
    program = open_admissions()
    big = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
    response = _post(client, _form(program, files={"form138_document": (big, "form138.pdf")}))
    assert response.status_code == 400
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert _students() == 0


def test_transferee_fields_are_swapped_in_only_for_transferees(client):
    open_admissions()
    hx = {"HX-Request": "true"}
    shown = client.get("/apply/transferee-fields?admission_type=TRANSFEREE", headers=hx).get_data(as_text=True)
    assert 'name="previous_school"' in shown and "<noscript>" not in shown and "<html" not in shown
    hidden = client.get("/apply/transferee-fields?admission_type=FRESHMAN", headers=hx).get_data(as_text=True)
    assert "previous_school" not in hidden
    # Without JavaScript the full page keeps the fields reachable inside <noscript>.
    page = client.get("/apply").get_data(as_text=True)
    assert "<noscript>" in page and 'name="previous_school"' in page


def test_transferee_applies_through_the_form(client):
    program = open_admissions()
    response = _post(client, _form(program, admission_type="TRANSFEREE", previous_school="AMA Computer College",
                                   previous_course="BSIT"))
    assert response.status_code == 302
    assert db.session.scalar(select(Student.previous_school)) == "AMA Computer College"


# --- the document route ---------------------------------------------------------------------

@pytest.fixture
def uploaded():
    program = open_admissions()
    admitted = admissions.submit_application(documents=documents(), **application_values(program))
    return admitted.student, admissions.documents_of(admitted.student.id)


def test_student_opens_their_own_document(client, login, uploaded):
    student, docs = uploaded
    login(student.user)
    response = client.get(f"/application-documents/{docs[1].id}")
    assert response.status_code == 200
    assert response.data == PDF_BYTES and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_student_opening_another_students_document_gets_404(client, login, uploaded):
    _, docs = uploaded
    program = open_admissions()
    other = admissions.submit_application(**application_values(program)).student
    login(other.user)
    assert client.get(f"/application-documents/{docs[0].id}").status_code == 404


@pytest.mark.parametrize("role,status", [(Role.ADMISSION, 200), (Role.REGISTRAR, 200), (Role.HEAD_REGISTRAR, 200),
                                         (Role.CASHIER, 404), (Role.PROFESSOR, 404), (Role.ADMIN, 404)])
def test_document_route_checks_the_role(client, login, uploaded, role, status):
    _, docs = uploaded
    login(make_user(role))
    assert client.get(f"/application-documents/{docs[0].id}").status_code == status


def test_document_route_sends_the_anonymous_to_sign_in_and_unknown_ids_404(client, login, uploaded):
    _, docs = uploaded
    response = client.get(f"/application-documents/{docs[0].id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user(Role.REGISTRAR))
    assert client.get("/application-documents/999999").status_code == 404


def test_uploads_are_not_reachable_under_static(client, uploaded):
    _, docs = uploaded
    assert client.get(f"/static/{docs[0].stored_name}").status_code == 404
    assert client.get(f"/static/uploads/{docs[0].stored_name}").status_code == 404


def test_a_refused_form_names_each_chosen_file_and_asks_to_attach_it_again(client, empty_uploads):
    program = open_admissions()
    response = _post(client, _form(program, mobile="12345", files={"good_moral_document": None}))
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and _students() == 0
    assert "Your files were not kept: attach them again" in html
    notice = html[html.index('id="reattach-notice"'):]
    notice = notice[:notice.index("</div>")]
    assert "id.png" in notice and "form138.pdf" in notice and "good-moral.jpg" not in notice
    assert "Attach id.png again." in html
    # Nothing of the applicant's is stored for an application that was not sent.
    assert not any(p.is_file() for p in empty_uploads.rglob("*"))
    assert db.session.scalar(select(func.count(ApplicationDocument.id))) == 0
