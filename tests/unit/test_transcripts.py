"""Transcripts: the full record by term plus credits, units earned and cumulative GPA; each
issued copy carries an unguessable verification code that verify_code() checks."""
import re
import zlib
from decimal import Decimal

import pytest
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AuditEntry, Role, Transcript
from richwell.services.grades import transcripts
from richwell.services.platform.errors import NotFound
from tests.factories import (
    add_to_class,
    make_class,
    make_credit,
    make_curriculum_subject,
    make_program,
    make_student,
    make_term,
    make_user,
    post_grades,
)


@pytest.fixture
def student():
    program = make_program(code="BSIT", name="BS Information Technology")
    student = make_student(program=program, admission_type="TRANSFEREE", first_name="Ma. Señora")
    first = make_term(academic_year="2025-2026")
    one = make_class(program=program, term=first, code="IT101", title="Programming 1", units=3)
    two = make_class(program=program, term=first, code="GE1", title="Understanding the Self", units=3,
                     is_major=False)
    post_grades(one, {add_to_class(one, student).id: "1.50"})
    post_grades(two, {add_to_class(two, student).id: "INC"})
    second = make_term(academic_year="2026-2027")
    three = make_class(program=program, term=second, code="IT102", title="Programming 2", units=4)
    add_to_class(three, student)  # in progress
    make_credit(student, make_curriculum_subject(program, code="MATH1", title="Mathematics", units=3),
                grade="2.0", counted=True)
    return student


def test_the_record_lists_terms_subjects_credits_units_and_gpa(student):
    record = transcripts.build_record(student.user, student.id)
    assert record["student"]["number"] == student.student_number
    assert [t["name"] for t in record["terms"]] == ["1st semester 2025-2026", "1st semester 2026-2027"]
    first = record["terms"][0]
    assert [(s["code"], s["grade"], s["status"]) for s in first["subjects"]] == [
        ("GE1", "INC", "INC"), ("IT101", "1.50", "PASSED")]
    assert first["gpa"] == "1.50" and first["units_earned"] == 3
    assert record["terms"][1]["subjects"][0]["grade"] is None  # not posted yet
    assert record["credits"][0]["code"] == "MATH1" and record["credits"][0]["in_gpa"] is True
    # (3×1.50 + 3×2.00) / 6 = 1.75; units earned: IT101 + MATH1
    assert (record["cumulative_gpa"], record["units_earned"]) == ("1.75", 6)


def test_a_registrar_issues_an_official_transcript_with_a_code(student):
    registrar = make_user(Role.REGISTRAR)
    issued = transcripts.issue_transcript(registrar, student.id)
    assert issued.kind == "OFFICIAL" and issued.issued_by_id == registrar.id
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", issued.code)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "document.transcript_issue"))
    assert entry.actor_id == registrar.id and entry.after["code"] == issued.code


def test_codes_are_unguessable_and_unique(student):
    registrar = make_user(Role.REGISTRAR)
    codes = {transcripts.issue_transcript(registrar, student.id).code for _ in range(20)}
    assert len(codes) == 20


def test_a_student_issues_a_copy_of_their_own_only(student):
    copy = transcripts.issue_transcript(student.user, student.id)
    assert copy.kind == "STUDENT_COPY"
    other = make_student()
    with pytest.raises(NotFound):
        transcripts.issue_transcript(other.user, student.id)
    with pytest.raises(NotFound):
        transcripts.issue_transcript(make_user(Role.PROFESSOR), student.id)
    with pytest.raises(NotFound):
        transcripts.get_transcript(other.user, copy.id)
    assert transcripts.get_transcript(student.user, copy.id) is copy
    assert transcripts.get_transcript(make_user(Role.HEAD_REGISTRAR), copy.id) is copy
    assert db.session.scalar(select(db.func.count()).select_from(Transcript)) == 1


def test_verify_code_tells_who_and_when_and_nothing_for_unknown_codes(student):
    issued = transcripts.issue_transcript(make_user(Role.REGISTRAR), student.id)
    info = transcripts.verify_code(issued.code)
    assert info["valid"] is True
    assert (info["student_number"], info["student_name"]) == (student.student_number, student.full_name)
    assert info["program"] == "BSIT BS Information Technology" and info["kind"] == "Official transcript of records"
    assert info["cumulative_gpa"] == "1.75" and info["issued_at"] == issued.issued_at
    # Typed in lower case, without dashes, with spaces: still found.
    assert transcripts.verify_code(issued.code.lower().replace("-", " "))["code"] == issued.code
    for bad in ("", None, "AAAA-AAAA-AAAA-AAAA", "x" * 5000, "'; DROP TABLE transcripts; --", issued.code[:-1]):
        assert transcripts.verify_code(bad) is None


def test_an_issued_transcript_is_a_frozen_snapshot(student):
    issued = transcripts.issue_transcript(make_user(Role.REGISTRAR), student.id)
    se = next(s for s in student_enrollments(student) if s.grade == "1.50")
    se.grade = "1.00"
    db.session.commit()
    db.session.expire_all()
    assert transcripts.verify_code(issued.code)["cumulative_gpa"] == "1.75"
    assert db.session.get(Transcript, issued.id).snapshot["terms"][0]["subjects"][1]["grade"] == "1.50"


def student_enrollments(student):
    from richwell.models import SubjectEnrollment, TermEnrollment

    return db.session.scalars(select(SubjectEnrollment).join(TermEnrollment)
                              .where(TermEnrollment.student_id == student.id)).all()


def test_the_pdf_carries_the_record_and_the_code(student):
    issued = transcripts.issue_transcript(make_user(Role.REGISTRAR), student.id)
    pdf = transcripts.transcript_pdf(issued, f"https://portal.example/verify/{issued.code}")
    assert pdf[:5] == b"%PDF-"
    text = b""
    # Each stream up to "endstream", end of line included: a compressed stream may itself end
    # in a CR byte, which a pattern that trims "\r\n" would cut off (the decompressor leaves
    # the line end aside as unused data).
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            text += zlib.decompressobj().decompress(stream)
        except zlib.error:
            continue  # the QR image
    for needle in (issued.code, student.student_number, "IT101", "Programming 1", "1.50", "MATH1",
                   "Cumulative GPA: 1.75", "Se\xf1ora"):
        assert needle.encode("latin-1") in text, needle


def test_the_qr_points_to_the_verification_page():
    svg = transcripts.qr_svg("https://portal.example/verify/ABCD-EFGH-IJKL-MNOP")
    assert svg.startswith("<svg") and "path" in svg


def test_a_student_sees_only_their_own_record_and_registrars_anyones(student):
    """Ownership lives in the services: the student's own, any for a registrar, else not found."""
    from richwell.services import grades

    transcripts.issue_transcript(student.user, student.id)
    registrar = make_user(Role.REGISTRAR)
    for viewer in (student.user, registrar):
        assert grades.build_record(viewer, student.id)["student"]["number"] == student.student_number
        assert [term.name for term, _rows in grades.student_record(viewer, student.id)] == [
            "1st semester 2025-2026", "1st semester 2026-2027"]
        assert len(grades.issued_for(viewer, student.id)) == 1
        assert [row.gpa for row in grades.term_gpas(viewer, student.id).values()] == [Decimal("1.50")]
    for stranger in (make_student().user, make_user(Role.PROFESSOR), make_user(Role.CASHIER)):
        for read in (grades.build_record, grades.student_record, grades.issued_for, grades.term_gpas,
                     grades.get_student):
            with pytest.raises(NotFound):
                read(stranger, student.id)
