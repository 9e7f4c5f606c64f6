"""DOMAIN.md "Admissions": the online application creates everything in one transaction,
refuses bad input at the field concerned, and leaves nothing behind when it fails."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    ApplicationDocument,
    AuditEntry,
    MonthBucket,
    Notification,
    Role,
    Student,
    StudentStatusChange,
    TermEnrollment,
    User,
)
from richwell.services import admissions
from richwell.services.platform import accounts, audit, clock, notifications, settings
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import (
    EXE_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    application_values,
    documents,
    make_program,
    make_student,
    make_user,
    open_admissions,
)

pytestmark = pytest.mark.usefixtures("empty_uploads")


def _counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in
            (User, Student, TermEnrollment, MonthBucket, Notification, ApplicationDocument, AdmissionReview,
             StudentStatusChange)}


def _stored_files() -> list[str]:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _freeze(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


def test_application_creates_account_student_enrollment_plan_notification_and_audit():
    program = open_admissions()
    values = application_values(program, email="Maria.Clara@Example.com")
    admitted = admissions.submit_application(documents=documents(), **values)
    student = admitted.student
    user = student.user
    assert user.role == Role.STUDENT.value
    assert user.email == "maria.clara@example.com"
    assert user.password_hash.startswith("$argon2")
    assert accounts.authenticate(student.student_number, values["password"]) == user
    assert student.student_number == f"{clock.today().year}-00001"
    assert student.created_via == "ONLINE" and student.admission_type == "FRESHMAN" and student.year_level == 1
    enrollment = admitted.enrollment
    assert enrollment.term.is_current
    assert enrollment.monthly_commitment == Decimal("2500.00")
    assert [b.month for b in enrollment.buckets] == [1, 2, 3, 4, 5, 6]
    assert all(b.required == Decimal("2500.00") and b.paid == Decimal("0.00") for b in enrollment.buckets)
    [welcome] = db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()
    assert welcome.kind == "welcome" and student.student_number in welcome.message
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"student.admit", "account.create", "enrollment.open"} <= actions
    [history] = student.status_history
    assert (history.from_status, history.to_status, history.effective_date) == (None, "ACTIVE", clock.today())
    assert admissions.review_of(student.id).documents_status == "PENDING"


def test_installment_months_setting_decides_the_number_of_buckets():
    program = open_admissions()
    settings.set_value(None, "installment_months", 4)
    admitted = admissions.submit_application(**application_values(program))
    assert len(admitted.enrollment.buckets) == 4


def test_student_numbers_are_sequential_per_admission_year(monkeypatch):
    program = open_admissions()
    _freeze(monkeypatch, datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))  # 00:30 Jan 1 2027 in Manila
    first = admissions.submit_application(**application_values(program)).student_number
    second = admissions.submit_application(**application_values(program)).student_number
    _freeze(monkeypatch, datetime(2026, 12, 31, 10, 0, tzinfo=timezone.utc))  # still 2026 in Manila
    other_year = admissions.submit_application(**application_values(program)).student_number
    assert (first, second, other_year) == ("2027-00001", "2027-00002", "2026-00001")


def test_student_number_continues_after_numbers_already_in_the_year():
    program = open_admissions()
    year = clock.today().year
    make_student(program=program, number=f"{year}-00041")
    assert admissions.submit_application(**application_values(program)).student_number == f"{year}-00042"


def test_a_failed_application_gives_its_student_number_back(monkeypatch):
    program = open_admissions()
    year = clock.today().year

    def broken(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(notifications, "notify", broken)
    with pytest.raises(RuntimeError):
        admissions.submit_application(**application_values(program))
    monkeypatch.undo()
    assert admissions.submit_application(**application_values(program)).student_number == f"{year}-00001"


def test_duplicate_email_is_refused_case_insensitively_and_nothing_is_created():
    program = open_admissions()
    admissions.submit_application(**application_values(program, email="juan@example.com"))
    before, files = _counts(), _stored_files()
    with pytest.raises(Conflict) as caught:
        admissions.submit_application(documents=documents(), **application_values(program, email="JUAN@Example.COM"))
    assert "already exists" in caught.value.fields["email"][0]
    assert _counts() == before
    assert _stored_files() == files


def test_any_failure_leaves_nothing_behind_not_even_the_uploaded_files(monkeypatch):
    program = open_admissions()
    before = _counts()

    def broken(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        admissions.submit_application(documents=documents(), **application_values(program))
    assert _counts() == before
    assert _stored_files() == []


class _CommitRefused:
    """Makes every commit fail while active (a disk full or a lost connection at the last step)."""

    def __enter__(self):
        event.listen(Session, "before_commit", self.refuse)

    def __exit__(self, *exc):
        event.remove(Session, "before_commit", self.refuse)

    @staticmethod
    def refuse(session):
        raise RuntimeError("the commit failed")


def test_a_failed_commit_leaves_no_rows_and_no_files():
    program = open_admissions()
    before = _counts()
    with _CommitRefused(), pytest.raises(RuntimeError):
        admissions.submit_application(documents=documents(), **application_values(program))
    assert _counts() == before
    assert _stored_files() == []


def test_an_application_inside_a_caller_that_rolls_back_leaves_no_files():
    """The application joins the caller's unit of work; when that unit rolls back, the staged
    files go too (after_rollback), and nothing was ever moved into place."""
    program = open_admissions()
    before = _counts()
    with pytest.raises(LookupError):
        with unit_of_work():
            admissions.submit_application(documents=documents(), **application_values(program))
            raise LookupError("the caller changed its mind")
    assert _counts() == before
    assert _stored_files() == []


def test_a_failed_commit_keeps_the_replaced_document_and_its_file():
    program = open_admissions()
    student = admissions.submit_application(documents=documents(), **application_values(program)).student
    old = admissions.documents_of(student.id)[0]
    old_name, files = old.stored_name, _stored_files()
    with _CommitRefused(), pytest.raises(RuntimeError):
        admissions.replace_documents(student.user, [("ID", "clear-id.pdf", PDF_BYTES)])
    assert admissions.documents_of(student.id)[0].stored_name == old_name
    assert _stored_files() == files


def test_application_is_refused_while_the_link_is_off_and_nothing_is_created():
    program = open_admissions(link=False)
    before = _counts()
    with pytest.raises(Forbidden) as caught:
        admissions.submit_application(documents=documents(), **application_values(program))
    assert caught.value.code == "enrollment_closed"
    assert _counts() == before and _stored_files() == []


def test_application_needs_a_current_term():
    program = make_program()
    settings.set_value(None, "enrollment_link_enabled", True)
    with pytest.raises(DomainError) as caught:
        admissions.submit_application(**application_values(program))
    assert caught.value.code == "no_current_term"
    assert _counts()["User"] == 0


def test_transferee_must_give_previous_school_and_course():
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, admission_type="TRANSFEREE"))
    assert set(caught.value.fields) == {"previous_school", "previous_course"}
    admitted = admissions.submit_application(**application_values(
        program, admission_type="TRANSFEREE", previous_school="STI College Malolos", previous_course="BSCS"))
    assert admitted.student.previous_school == "STI College Malolos"
    assert admitted.student.admission_type == "TRANSFEREE"


def test_freshman_previous_school_is_not_kept():
    program = open_admissions()
    admitted = admissions.submit_application(**application_values(program, previous_school="Somewhere"))
    assert admitted.student.previous_school is None


@pytest.mark.parametrize("mobile,stored", [("09171234567", "09171234567"), ("+639171234567", "+639171234567"),
                                           ("0917 123 4567", "09171234567"), ("0917-123-4567", "09171234567")])
def test_philippine_mobile_numbers_are_accepted(mobile, stored):
    program = open_admissions()
    assert admissions.submit_application(**application_values(program, mobile=mobile)).student.mobile == stored


@pytest.mark.parametrize("mobile", ["", "9171234567", "0817123456", "091712345678", "+63917123456",
                                    "+1 415 555 0100", "0917123456x", "639171234567"])
def test_mobile_not_in_philippine_format_is_refused(mobile):
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, mobile=mobile))
    assert list(caught.value.fields) == ["mobile"]


def test_birthdate_in_the_future_is_refused():
    program = open_admissions()
    tomorrow = date.fromordinal(clock.today().toordinal() + 1)
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, birthdate=tomorrow.isoformat()))
    assert "future" in caught.value.fields["birthdate"][0]


def test_applicant_younger_than_14_is_refused_and_exactly_14_is_accepted():
    program = open_admissions()
    t = clock.today()
    fourteenth = date(t.year - 14, t.month, 28 if (t.month, t.day) == (2, 29) else t.day)
    day_after = date.fromordinal(fourteenth.toordinal() + 1)
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, birthdate=day_after.isoformat()))
    assert "at least 14" in caught.value.fields["birthdate"][0]
    assert admissions.submit_application(**application_values(program, birthdate=fourteenth)).student


@pytest.mark.parametrize("raw", ["", "10/05/2006", "2006-13-01", "yesterday", "1850-01-01"])
def test_malformed_birthdate_is_refused(raw):
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, birthdate=raw))
    assert "birthdate" in caught.value.fields


@pytest.mark.parametrize("amount,message", [("999.99", "at least"), ("1500.125", "2 decimals"),
                                            ("-2500", "at least"), ("abc", "amount"), ("", "Enter"),
                                            ("NaN", "amount"), ("1e400", "larger"), ("9" * 40, "amount")])
def test_monthly_commitment_below_minimum_or_malformed_is_refused(amount, message):
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, monthly_commitment=amount))
    assert message in caught.value.fields["monthly_commitment"][0]


def test_monthly_commitment_minimum_follows_the_setting():
    program = open_admissions()
    settings.set_value(None, "min_monthly_commitment", Decimal("3000.00"))
    with pytest.raises(ValidationError):
        admissions.submit_application(**application_values(program, monthly_commitment="2999.99"))
    admitted = admissions.submit_application(**application_values(program, monthly_commitment="3,000"))
    assert admitted.enrollment.monthly_commitment == Decimal("3000.00")


@pytest.mark.parametrize("field,value", [("first_name", ""), ("last_name", "   "), ("first_name", "x" * 101),
                                         ("email", "not-an-email"), ("sex", "X"), ("address", ""),
                                         ("address", "a" * 501), ("admission_type", "RETURNEE"),
                                         ("program_id", "abc"), ("program_id", 999999), ("password", "short")])
def test_each_bad_field_is_refused_at_that_field(field, value):
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, **{field: value}))
    assert field in caught.value.fields
    assert _counts()["User"] == 0


def test_every_bad_field_is_reported_at_once():
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program, first_name="", mobile="123", sex="?"),
                                      password_confirmation="different")
    assert {"first_name", "mobile", "sex", "confirm_password"} <= set(caught.value.fields)


def test_inactive_program_takes_no_applications():
    program = open_admissions()
    program.is_active = False
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(**application_values(program))
    assert "program_id" in caught.value.fields


def test_documents_are_stored_outside_static_under_random_names_with_their_detected_type():
    program = open_admissions()
    admitted = admissions.submit_application(documents=documents(), **application_values(program))
    docs = admissions.documents_of(admitted.student.id)
    assert [(d.kind, d.content_type) for d in docs] == [
        ("ID", "image/png"), ("FORM138_OR_TOR", "application/pdf"), ("GOOD_MORAL", "image/jpeg")]
    folder = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    static = Path(current_app.static_folder).resolve()
    for doc in docs:
        path = (folder / doc.stored_name).resolve()
        assert path.is_file() and static not in path.parents
        assert doc.original_name not in doc.stored_name and len(doc.stored_name.split(".")[0]) == 32
    assert docs[1].original_name == "form138.pdf" and docs[1].size == len(PDF_BYTES)
    assert _stored_files() == sorted(d.stored_name for d in docs)  # nothing left in staging


def test_documents_are_optional_for_the_service():
    program = open_admissions()
    admitted = admissions.submit_application(**application_values(program))
    assert admissions.documents_of(admitted.student.id) == []


def test_an_exe_renamed_pdf_is_refused_by_its_content():
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(documents=[("FORM138_OR_TOR", "form138.pdf", EXE_BYTES)],
                                      **application_values(program))
    assert "PDF, JPEG or PNG" in caught.value.fields["form138_document"][0]
    assert _counts()["User"] == 0 and _stored_files() == []


def test_a_file_larger_than_5_mb_is_refused(tmp_path):
    program = open_admissions()
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024))
    with open(big, "rb") as stream, pytest.raises(ValidationError) as caught:
        admissions.submit_application(documents=[("ID", "scan.pdf", stream)], **application_values(program))
    assert "larger than 5 MB" in caught.value.fields["id_document"][0]
    assert _counts()["User"] == 0 and _stored_files() == []


def test_a_file_of_exactly_5_mb_is_accepted():
    program = open_admissions()
    exact = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 9)
    admitted = admissions.submit_application(documents=[("ID", "id.pdf", exact)], **application_values(program))
    assert admissions.documents_of(admitted.student.id)[0].size == 5 * 1024 * 1024


@pytest.mark.parametrize("docs,field", [([("ID", "empty.png", b"")], "id_document"),
                                        ([("DIPLOMA", "d.pdf", PDF_BYTES)], "documents"),
                                        ([("ID", "a.png", PNG_BYTES), ("ID", "b.png", PNG_BYTES)], "id_document")])
def test_empty_unknown_or_repeated_documents_are_refused(docs, field):
    program = open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(documents=docs, **application_values(program))
    assert field in caught.value.fields


def test_original_file_name_is_kept_only_for_display():
    program = open_admissions()
    admitted = admissions.submit_application(documents=[("ID", "../../etc/passwd.png", PNG_BYTES)],
                                             **application_values(program))
    [doc] = admissions.documents_of(admitted.student.id)
    assert doc.original_name == "passwd.png"
    assert "/" not in doc.stored_name


def test_documents_open_for_the_owner_admission_staff_and_registrars_only():
    program = open_admissions()
    admitted = admissions.submit_application(documents=documents(), **application_values(program))
    doc = admissions.documents_of(admitted.student.id)[0]
    other = admissions.submit_application(**application_values(program)).student.user
    for viewer in (admitted.student.user, make_user(Role.ADMISSION), make_user(Role.REGISTRAR),
                   make_user(Role.HEAD_REGISTRAR)):
        assert admissions.document_for_viewer(viewer, doc.id)[0] == doc
    for viewer in (other, make_user(Role.CASHIER), make_user(Role.PROFESSOR), make_user(Role.ADMIN), None):
        with pytest.raises(NotFound):
            admissions.document_for_viewer(viewer, doc.id)


def test_admission_staff_mark_documents_incomplete_with_a_note_the_student_sees():
    program = open_admissions()
    student = admissions.submit_application(**application_values(program)).student
    staff = make_user(Role.ADMISSION)
    with pytest.raises(ValidationError) as caught:
        admissions.review_documents(staff, student.id, "INCOMPLETE", "  ")
    assert "note" in caught.value.fields
    review = admissions.review_documents(staff, student.id, "INCOMPLETE", "Form 138 is unreadable.")
    assert (review.documents_status, review.note, review.reviewer_id) == ("INCOMPLETE", "Form 138 is unreadable.",
                                                                          staff.id)
    note = db.session.scalar(select(Notification).where(Notification.kind == "application_reviewed"))
    assert note.user_id == student.user_id and "unreadable" in note.message
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "admission.review"))
    assert entry.before["documents_status"] == "PENDING" and entry.after["documents_status"] == "INCOMPLETE"
    assert admissions.review_documents(staff, student.id, "COMPLETE", "").documents_status == "COMPLETE"


def test_only_admission_staff_review_documents():
    program = open_admissions()
    student = admissions.submit_application(**application_values(program)).student
    with pytest.raises(Forbidden):
        admissions.review_documents(make_user(Role.REGISTRAR), student.id, "COMPLETE", "")
    with pytest.raises(ValidationError):
        admissions.review_documents(make_user(Role.ADMISSION), student.id, "LOST", "")


def test_student_replaces_a_document_and_an_incomplete_review_goes_back_to_pending():
    program = open_admissions()
    admitted = admissions.submit_application(documents=documents(), **application_values(program))
    student = admitted.student
    admissions.review_documents(make_user(Role.ADMISSION), student.id, "INCOMPLETE", "ID is blurry")
    old = admissions.documents_of(student.id)[0]
    old_name = old.stored_name
    admissions.replace_documents(student.user, [("ID", "clear-id.pdf", PDF_BYTES)])
    new = admissions.documents_of(student.id)[0]
    assert new.original_name == "clear-id.pdf" and new.content_type == "application/pdf"
    assert old_name not in _stored_files() and new.stored_name in _stored_files()
    assert admissions.review_of(student.id).documents_status == "PENDING"
    with pytest.raises(ValidationError):
        admissions.replace_documents(student.user, [("ID", "x.pdf", EXE_BYTES)])


def test_applications_list_filters_by_program_type_date_and_document_status(monkeypatch):
    bsit = open_admissions(program=make_program("BSIT"))
    bsba = make_program("BSBA")
    a = admissions.submit_application(**application_values(bsit)).student
    b = admissions.submit_application(**application_values(
        bsba, admission_type="TRANSFEREE", previous_school="UST", previous_course="BSA")).student
    staff = make_user(Role.ADMISSION)
    admissions.review_documents(staff, a.id, "COMPLETE", "")

    def ids(**filters):
        page, reviews = admissions.list_applications(staff, **filters)
        assert set(reviews) == {s.id for s in page.items}
        return [s.id for s in page.items]

    assert ids() == [b.id, a.id]
    assert ids(program_id=bsit.id) == [a.id]
    assert ids(admission_type="TRANSFEREE") == [b.id]
    assert ids(documents_status="PENDING") == [b.id]
    assert ids(date_from=clock.today(), date_to=clock.today()) == [b.id, a.id]
    assert ids(date_to=date.fromordinal(clock.today().toordinal() - 1)) == []


def test_no_temporary_upload_file_is_left_after_success():
    program = open_admissions()
    admissions.submit_application(documents=documents(), **application_values(program))
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    assert [name for name in os.listdir(folder) if name.startswith(".")] == []


def test_missing_values_are_field_errors_not_crashes():
    open_admissions()
    with pytest.raises(ValidationError) as caught:
        admissions.submit_application(email="someone@example.com")
    assert {"first_name", "last_name", "birthdate", "sex", "mobile", "address", "program_id", "admission_type",
            "password", "monthly_commitment"} <= set(caught.value.fields)
