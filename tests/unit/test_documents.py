"""Registrar documents: each rule of a release, revocation, verification, requests and the
lists (DOMAIN.md "Documents", issue 17)."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    DocumentRelease,
    DocumentRequest,
    MonthBucket,
    Notification,
    Role,
    StudentStatusChange,
    Term,
)
from richwell.services import documents, grades
from richwell.services.platform.clock import today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    add_to_class,
    make_class,
    make_enrollment,
    make_student,
    make_term,
    make_user,
    record_status_change,
)


@pytest.fixture
def term():
    return make_term()


@pytest.fixture
def registrar():
    return make_user(Role.REGISTRAR, first_name="Rosa", last_name="Registrar")


@pytest.fixture
def head():
    return make_user(Role.HEAD_REGISTRAR, first_name="Hector", last_name="Head")


@pytest.fixture
def enrolled(term):
    """A student taking one 3-unit subject in the current term."""
    offering = make_class(term=term, units=3)
    return make_student_in(offering)


def make_student_in(offering):
    student = make_student(program=offering.subject.program)
    add_to_class(offering, student)
    return student


def releases_count() -> int:
    return db.session.scalar(select(func.count()).select_from(DocumentRelease))


def owe_from_a_past_term(student, amount="1500.00"):
    past = make_term(current=False, academic_year="2025-2026", semester="SECOND")
    enrollment = make_enrollment(student, past, commitment=amount)
    return enrollment


# --------------------------------------------------------------------------- numbers, codes, generation


def test_release_numbers_are_per_kind_and_year_without_gaps(enrolled, registrar):
    year = today().year
    first = documents.release(registrar, enrolled.id, kind="TOR", purpose="Employment")
    second = documents.release(registrar, enrolled.id, kind="TOR", purpose="Scholarship")
    coe = documents.release(registrar, enrolled.id, kind="COE", purpose="Visa")
    assert (first.number, second.number, coe.number) == (f"TOR-{year}-000001", f"TOR-{year}-000002",
                                                         f"COE-{year}-000001")


def test_verification_codes_are_unguessable_80_bits(enrolled, registrar):
    codes = {documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment").code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        letters = code.replace("-", "")
        assert len(letters) == 16 and set(letters) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # 16 x 5 = 80 bits


def test_tor_is_the_transcript_services_record(enrolled, registrar):
    item = documents.release(registrar, enrolled.id, kind="TOR", purpose="Transfer")
    assert item.snapshot["record"] == grades.build_record(registrar, enrolled.id)
    assert item.snapshot["student"]["number"] == enrolled.student_number
    pdf = documents.release_pdf(item, "http://x/verify/" + item.code)
    assert pdf.startswith(b"%PDF")


def test_coe_is_the_current_terms_registration(enrolled, registrar):
    item = documents.release(registrar, enrolled.id, kind="COE", purpose="Scholarship")
    enrollment = item.snapshot["enrollment"]
    assert enrollment["units"] == 3 and len(enrollment["subjects"]) == 1
    assert enrollment["term"] in item.snapshot["paragraphs"][0]
    assert "3 units" in item.snapshot["paragraphs"][0]


def test_coe_needs_an_enrollment_in_the_current_term(term, registrar):
    student = make_student()
    with pytest.raises(DomainError) as refused:
        documents.release(registrar, student.id, kind="COE", purpose="Visa")
    assert refused.value.code == "not_enrolled"
    assert releases_count() == 0


def test_good_moral_and_dismissal_name_the_student_and_the_registrar(enrolled, registrar, app):
    app.config["SCHOOL_REGISTRAR_NAME"] = "Maria Santos"
    try:
        item = documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment")
    finally:
        app.config.pop("SCHOOL_REGISTRAR_NAME")
    text = " ".join(item.snapshot["paragraphs"])
    assert enrolled.full_name.upper() in text and "good moral character" in text and "employment" in text
    assert item.snapshot["school"]["registrar_name"] == "Maria Santos"
    assert item.snapshot["prepared_by"] == registrar.full_name


def test_a_diploma_only_for_a_graduate(enrolled, registrar):
    with pytest.raises(DomainError) as refused:
        documents.release(registrar, enrolled.id, kind="DIP", purpose="Personal copy")
    assert refused.value.code == "not_graduated" and releases_count() == 0
    graduated_on = today() - timedelta(days=3)
    record_status_change(enrolled, "GRADUATED", graduated_on)
    item = documents.release(registrar, enrolled.id, kind="DIP", purpose="Personal copy")
    assert item.snapshot["graduated_on"] == graduated_on.isoformat()
    assert enrolled.program.name.upper() in item.snapshot["paragraphs"][0]


# --------------------------------------------------------------------------- the balance rule


def test_a_tor_with_an_unpaid_past_balance_is_refused_without_an_override(enrolled, registrar):
    owe_from_a_past_term(enrolled)
    assert documents.past_terms_balance(enrolled.id) > 0
    with pytest.raises(DomainError) as refused:
        documents.release(registrar, enrolled.id, kind="TOR", purpose="Transfer")
    assert refused.value.code == "unpaid_balance" and releases_count() == 0
    # A COE or good moral is not held back by the balance.
    documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment")


def test_only_the_head_registrar_overrides_the_balance_with_a_reason(enrolled, registrar, head):
    owe_from_a_past_term(enrolled)
    with pytest.raises(ValidationError) as refused:
        documents.release(registrar, enrolled.id, kind="TOR", purpose="Transfer", override_reason="Promised")
    assert "override_reason" in refused.value.fields and releases_count() == 0
    item = documents.release(head, enrolled.id, kind="TOR", purpose="Transfer",
                             override_reason="Scholarship covers the balance")
    assert item.override_reason == "Scholarship covers the balance"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "document.release"))
    assert entry.reason == "Scholarship covers the balance" and entry.after["override"] is True


def test_an_override_without_a_balance_to_excuse_is_not_recorded(enrolled, head):
    item = documents.release(head, enrolled.id, kind="TOR", purpose="Transfer", override_reason="Just in case")
    assert item.override_reason is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "document.release"))
    assert entry.after["override"] is False and entry.reason is None


def test_a_paid_past_term_does_not_hold_back_a_tor(enrolled, registrar):
    enrollment = owe_from_a_past_term(enrolled)
    for bucket in db.session.scalars(select(MonthBucket).where(MonthBucket.term_enrollment_id == enrollment.id)):
        bucket.paid = bucket.required
    db.session.commit()
    assert documents.release(registrar, enrolled.id, kind="TOR", purpose="Transfer").number


# --------------------------------------------------------------------------- honorable dismissal


def test_honorable_dismissal_marks_transferred_out_and_is_released_once(enrolled, registrar, head):
    item = documents.release(registrar, enrolled.id, kind="HD", purpose="Transfer to another school")
    db.session.refresh(enrolled)
    assert enrolled.status == "WITHDRAWN"
    change = db.session.scalar(select(StudentStatusChange).where(StudentStatusChange.student_id == enrolled.id))
    assert change.to_status == "WITHDRAWN" and "honorable dismissal" in change.reason.lower()
    with pytest.raises(Conflict) as again:
        documents.release(head, enrolled.id, kind="HD", purpose="Transfer")
    assert again.value.code == "already_released" and releases_count() == 1
    # A revoked dismissal no longer stands: a corrected one may be released.
    documents.revoke(registrar, item.id, "Wrong receiving school")
    assert documents.release(registrar, enrolled.id, kind="HD", purpose="Transfer").number.endswith("000002")


def test_a_graduate_gets_no_honorable_dismissal(enrolled, registrar):
    record_status_change(enrolled, "GRADUATED", today())
    with pytest.raises(DomainError) as refused:
        documents.release(registrar, enrolled.id, kind="HD", purpose="Transfer")
    assert refused.value.code == "graduated"


# --------------------------------------------------------------------------- bad input


def test_an_unknown_student_is_not_found(term, registrar):
    with pytest.raises(NotFound):
        documents.release(registrar, 999_999, kind="CGM", purpose="Employment")
    assert releases_count() == 0


def test_withdrawn_without_record_gets_nothing(term, registrar):
    student = make_student(status="WITHDRAWN")
    with pytest.raises(DomainError) as refused:
        documents.release(registrar, student.id, kind="CGM", purpose="Employment")
    assert refused.value.code == "no_record" and releases_count() == 0


def test_withdrawn_with_a_record_may_get_a_good_moral(enrolled, registrar):
    record_status_change(enrolled, "WITHDRAWN", today())
    assert documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment").number


@pytest.mark.parametrize("fields, at", [
    ({"kind": "XYZ", "purpose": "Employment"}, "kind"),
    ({"kind": "CGM", "purpose": ""}, "purpose"),
    ({"kind": "CGM", "purpose": "x" * 121}, "purpose"),
    ({"kind": "CGM", "purpose": "Employ\x00ment"}, "purpose"),
    ({"kind": "CGM", "purpose": "Employment", "copies": "0"}, "copies"),
    ({"kind": "CGM", "purpose": "Employment", "copies": "١"}, "copies"),
    ({"kind": "OTH", "purpose": "Employment", "title": "Certification of units"}, "scan"),
    ({"kind": "OTH", "purpose": "Employment", "scan": PDF_BYTES}, "title"),
])
def test_bad_fields_are_refused_at_their_field(enrolled, registrar, fields, at):
    with pytest.raises(ValidationError) as refused:
        documents.release(registrar, enrolled.id, **fields)
    assert at in refused.value.fields
    assert releases_count() == 0


def test_a_scan_is_judged_by_its_content_and_size(enrolled, registrar, app):
    with pytest.raises(ValidationError) as fake:
        documents.release(registrar, enrolled.id, kind="OTH", title="Certification", purpose="Employment",
                          scan=io.BytesIO(b"MZ not really a pdf"))
    assert "PDF, JPEG or PNG" in fake.value.fields["scan"][0]
    with pytest.raises(ValidationError) as large:
        documents.release(registrar, enrolled.id, kind="OTH", title="Certification", purpose="Employment",
                          scan=b"%PDF-" + b"0" * (5 * 1024 * 1024))
    assert "5 MB" in large.value.message
    assert releases_count() == 0
    item = documents.release(registrar, enrolled.id, kind="OTH", title="Certification of units earned",
                             purpose="Employment", scan=PNG_BYTES)
    assert (item.source, item.scan_content_type, item.kind_label) == ("SCAN", "image/png",
                                                                      "Certification of units earned")
    assert documents.scan_bytes(item) == PNG_BYTES


def test_only_registrars_release(enrolled):
    for role in (Role.STUDENT, Role.CASHIER, Role.ADMIN, Role.PROFESSOR):
        with pytest.raises(Forbidden):
            documents.release(make_user(role), enrolled.id, kind="CGM", purpose="Employment")
    assert releases_count() == 0


# --------------------------------------------------------------------------- revocation and verification


def test_revocation_is_seen_by_verification_and_the_student_loses_access(enrolled, registrar):
    item = documents.release(registrar, enrolled.id, kind="COE", purpose="Visa")
    student_user = enrolled.user
    assert documents.get_release(student_user, item.id) == item
    answer = documents.verify(item.code.lower().replace("-", " "))
    assert answer["valid"] is True and answer["verify_kind"] == "DOCUMENT"
    assert set(answer) == {"verify_kind", "valid", "status", "kind", "code", "student_name", "student_number",
                           "issued_at", "revoked_at"}
    documents.revoke(registrar, item.id, "Issued to the wrong term")
    answer = documents.verify(item.code)
    assert answer["valid"] is False and answer["status"] == "Revoked" and answer["revoked_at"] is not None
    with pytest.raises(NotFound):
        documents.get_release(student_user, item.id)
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == student_user.id, Notification.kind == "document_revoked")) == 1
    with pytest.raises(Conflict) as twice:
        documents.revoke(registrar, item.id, "Again")
    assert twice.value.code == "already_revoked"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "document.revoke")) == 1


def test_a_registrar_revokes_only_their_own_releases(enrolled, registrar, head):
    item = documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment")
    with pytest.raises(NotFound):
        documents.revoke(make_user(Role.REGISTRAR), item.id, "Not mine")
    with pytest.raises(ValidationError):
        documents.revoke(registrar, item.id, "")
    assert documents.revoke(head, item.id, "Head registrar's call").revoked_by_id == head.id


def test_a_guessed_code_verifies_nothing(term):
    assert documents.verify("AAAA-BBBB-CCCC-DDDD") is None
    assert documents.verify("not a code") is None


def test_every_opening_is_audited(enrolled, registrar):
    item = documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment")
    documents.open_release(enrolled.user, item.id, how="download")
    documents.open_release(registrar, item.id, how="view")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "document.download")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.after["as"]) for e in entries] == [(enrolled.user_id, "download"), (registrar.id, "view")]
    with pytest.raises(NotFound):  # someone else's document: not found, and nothing audited
        documents.open_release(make_student().user, item.id, how="download")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "document.download")) == 2


# --------------------------------------------------------------------------- who sees what


def test_registrars_see_their_own_the_head_and_admin_see_all(enrolled, registrar, head):
    other = make_user(Role.REGISTRAR)
    mine = documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment")
    theirs = documents.release(other, enrolled.id, kind="COE", purpose="Visa")
    listed = lambda viewer, **f: [r.id for r in db.session.scalars(  # noqa: E731
        documents.releases(viewer, documents.ReleaseFilter(**f)))]
    assert listed(registrar) == [mine.id]
    assert sorted(listed(head)) == sorted(listed(make_user(Role.ADMIN))) == sorted([mine.id, theirs.id])
    assert listed(head, kind="COE") == [theirs.id]
    assert listed(head, registrar_id=registrar.id) == [mine.id]
    assert listed(head, student=enrolled.student_number[:6]) and listed(head, student="nobody-like-this") == []
    assert listed(head, date_from=today() + timedelta(days=1)) == []
    with pytest.raises(NotFound):
        documents.get_release(registrar, theirs.id)
    with pytest.raises(Forbidden):
        documents.releases(make_user(Role.CASHIER))
    csv_text = documents.releases_csv(head)
    assert mine.number in csv_text and theirs.number in csv_text
    assert theirs.number not in documents.releases_csv(registrar)


def test_a_student_sees_only_their_own_unrevoked_documents(enrolled, registrar):
    item = documents.release(registrar, enrolled.id, kind="CGM", purpose="Employment")
    other = make_student()
    assert [r.id for r in db.session.scalars(documents.student_documents(enrolled.user))] == [item.id]
    assert list(db.session.scalars(documents.student_documents(other.user))) == []
    with pytest.raises(NotFound):
        documents.get_release(other.user, item.id)


# --------------------------------------------------------------------------- requests


def test_a_request_is_queued_answered_and_the_student_told_each_time(enrolled, registrar):
    student_user = enrolled.user
    asked = documents.request_document(student_user, "COE", "Scholarship", "2")
    with pytest.raises(Conflict):
        documents.request_document(student_user, "COE", "Scholarship")
    assert [r.id for r in documents.pending_requests(registrar)] == [asked.id]
    item = documents.release(registrar, enrolled.id, kind="COE", purpose="Scholarship", copies=2,
                             request_id=asked.id)
    db.session.refresh(asked)
    assert asked.status == "RELEASED" and item.request_id == asked.id and documents.pending_requests(registrar) == []
    declined = documents.request_document(student_user, "TOR", "Transfer")
    documents.decline_request(registrar, declined.id, "Your clearance is incomplete")
    db.session.refresh(declined)
    assert declined.status == "DECLINED" and declined.note == "Your clearance is incomplete"
    with pytest.raises(Conflict):
        documents.decline_request(registrar, declined.id, "Again")
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == student_user.id)
                               .order_by(Notification.id)).all()
    assert kinds == ["document_request", "document_released", "document_request", "document_request"]


def test_a_request_answers_only_its_own_kind_and_student(enrolled, registrar):
    asked = documents.request_document(enrolled.user, "CGM", "Employment")
    with pytest.raises(ValidationError):
        documents.release(registrar, enrolled.id, kind="COE", purpose="x", request_id=asked.id)
    with pytest.raises(NotFound):
        documents.release(registrar, make_student().id, kind="CGM", purpose="x", request_id=asked.id)
    assert releases_count() == 0
    assert db.session.get(DocumentRequest, asked.id).status == "PENDING"


def test_only_students_request_and_only_requestable_kinds(enrolled, registrar):
    with pytest.raises(Forbidden):
        documents.request_document(registrar, "COE", "Visa")
    with pytest.raises(ValidationError):
        documents.request_document(enrolled.user, "OTH", "Visa")


def test_past_term_helper_ignores_the_current_term(enrolled):
    current = db.session.scalar(select(Term).where(Term.is_current.is_(True)))
    assert current is not None
    assert documents.past_terms_balance(enrolled.id) == 0  # the current term's months are not "past"
