"""Exam permits: the per-term mapping, exactly-once issue, the hourly sweep, verification."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, ExamMonthMapping, ExamPermit, Notification, Role
from richwell.services.finance import permits
from richwell.services.grades import verification
from richwell.services.platform.errors import Forbidden, ValidationError
from tests.factories import make_cashier, make_enrollment, make_student, make_term, make_user, pay


def _states(enrollment) -> dict[str, str]:
    db.session.expire_all()
    return {s.exam: s.state for s in permits.exam_states(enrollment)}


def test_default_mapping_ties_prelim_to_month_1_up_to_final_month_4():
    term = make_term()
    assert permits.exam_months(term.id) == {"PRELIM": 1, "MIDTERM": 2, "PREFINAL": 3, "FINAL": 4}


def test_admin_changes_a_terms_mapping_and_it_is_audited():
    term = make_term()
    admin = make_user(Role.ADMIN)
    assert permits.set_exam_months(term.id, {"PRELIM": "2", "MIDTERM": "3", "PREFINAL": "5", "FINAL": "6"},
                                   admin) == {"PRELIM": 2, "MIDTERM": 3, "PREFINAL": 5, "FINAL": 6}
    assert db.session.get(ExamMonthMapping, term.id).final_month == 6
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "permit.mapping"))
    assert entry.before["FINAL"] == 4 and entry.after["FINAL"] == 6


def test_a_new_mapping_decides_which_month_issues_the_permit():
    term = make_term()
    permits.set_exam_months(term.id, {"PRELIM": 2, "MIDTERM": 3, "PREFINAL": 4, "FINAL": 6}, make_user(Role.ADMIN))
    enrollment = make_enrollment(term=term, commitment="1000.00")
    assert pay(enrollment, "1000.00").permits_issued == []
    assert pay(enrollment, "1000.00").permits_issued == ["PRELIM"]


@pytest.mark.parametrize("months,field", [
    ({"PRELIM": "0", "MIDTERM": "2", "PREFINAL": "3", "FINAL": "4"}, "prelim"),
    ({"PRELIM": "1", "MIDTERM": "7", "PREFINAL": "3", "FINAL": "4"}, "midterm"),
    ({"PRELIM": "1", "MIDTERM": "2", "PREFINAL": "x", "FINAL": "4"}, "prefinal"),
    ({"PRELIM": "1", "MIDTERM": "2", "PREFINAL": "3", "FINAL": ""}, "final"),
    ({"PRELIM": "3", "MIDTERM": "2", "PREFINAL": "3", "FINAL": "4"}, "midterm"),
    ({"PRELIM": "-1", "MIDTERM": "2", "PREFINAL": "3", "FINAL": "4"}, "prelim"),
])
def test_a_bad_mapping_is_refused_at_its_field_and_nothing_changes(months, field):
    term = make_term()
    with pytest.raises(ValidationError) as caught:
        permits.set_exam_months(term.id, months, make_user(Role.ADMIN))
    assert field in caught.value.fields
    assert db.session.get(ExamMonthMapping, term.id) is None


def test_only_an_admin_changes_the_mapping():
    term = make_term()
    with pytest.raises(Forbidden):
        permits.set_exam_months(term.id, {"PRELIM": 1, "MIDTERM": 2, "PREFINAL": 3, "FINAL": 4},
                                make_user(Role.REGISTRAR))


def test_a_mapping_change_never_revokes_an_issued_permit():
    term = make_term()
    enrollment = make_enrollment(term=term, commitment="1000.00")
    pay(enrollment, "1000.00")
    permits.set_exam_months(term.id, {"PRELIM": 3, "MIDTERM": 4, "PREFINAL": 5, "FINAL": 6}, make_user(Role.ADMIN))
    assert _states(enrollment)["PRELIM"] == "issued"


def test_a_mapping_change_issues_permits_that_are_now_owed():
    term = make_term()
    enrollment = make_enrollment(term=term, commitment="1000.00")
    pay(enrollment, "3000.00")  # months 1-3: PRELIM, MIDTERM, PREFINAL
    permits.set_exam_months(term.id, {"PRELIM": 1, "MIDTERM": 2, "PREFINAL": 3, "FINAL": 3}, make_user(Role.ADMIN))
    assert _states(enrollment) == {"PRELIM": "issued", "MIDTERM": "issued", "PREFINAL": "issued", "FINAL": "issued"}
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "permit_issued")) == 4


def test_the_hourly_check_issues_missing_permits_exactly_once():
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "2000.00")
    db.session.execute(ExamPermit.__table__.delete().where(ExamPermit.exam == "MIDTERM"))
    db.session.commit()
    assert permits.issue_missing_permits() == 1
    assert permits.issue_missing_permits() == 0
    assert _states(enrollment)["MIDTERM"] == "issued"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "permit.issue"))
    assert entry.actor_id is None and entry.after == {"permits_issued": ["MIDTERM"]}


def test_the_hourly_check_skips_withdrawn_enrollments():
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    db.session.execute(ExamPermit.__table__.delete())
    enrollment.status = "WITHDRAWN"
    db.session.commit()
    assert permits.issue_missing_permits() == 0


def test_the_hourly_task_runs_the_check():
    from richwell.tasks import sweep_exam_permits

    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    db.session.execute(ExamPermit.__table__.delete())
    db.session.commit()
    assert sweep_exam_permits.call_local() == 1


def test_student_sees_each_exam_as_locked_issued_or_revoked():
    from richwell.services.finance import ledger

    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    pay(enrollment, "1000.00", cashier=cashier)
    second = pay(enrollment, "1000.00", cashier=cashier)
    ledger.reverse_payment(second.payment_id, "Counterfeit bill found in cash", cashier)
    assert _states(enrollment) == {"PRELIM": "issued", "MIDTERM": "revoked", "PREFINAL": "locked",
                                   "FINAL": "locked"}


def test_permit_codes_are_unguessable_and_unique():
    codes = {permits.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 16 and set(c) <= set(permits.CODE_ALPHABET) for c in codes)
    assert "0" not in permits.CODE_ALPHABET and "O" not in permits.CODE_ALPHABET


def test_verification_tells_only_validity_exam_term_name_and_number():
    student = make_student(first_name="Liza", last_name="Soberano")
    enrollment = make_enrollment(student=student, commitment="1000.00")
    pay(enrollment, "1000.00")
    permit = db.session.scalar(select(ExamPermit))
    result = verification.verify(permit.display_code.lower().replace("-", " "))
    assert result == {"kind": "Exam permit", "valid": True, "status": "Valid", "exam": "Prelim",
                      "term": enrollment.term.name, "student_name": "Liza Soberano",
                      "student_number": student.student_number, "code": permit.display_code,
                      "verify_kind": "PERMIT"}


def test_a_revoked_permit_verifies_as_not_valid():
    from richwell.services.finance import ledger

    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    first = pay(enrollment, "1000.00", cashier=cashier)
    code = db.session.scalar(select(ExamPermit.code))
    ledger.reverse_payment(first.payment_id, "Wrong student paid at counter", cashier)
    result = verification.verify(code)
    assert result["valid"] is False and result["status"] == "Revoked"


@pytest.mark.parametrize("code", ["", "nope", "A" * 16, "ABCD-EFGH-JKLM-NPQ0", "x" * 500, None, "<script>"])
def test_unknown_or_malformed_codes_verify_as_nothing(code):
    assert verification.verify(code) is None


def test_verification_page_also_knows_issued_transcripts(client):
    """One public page verifies every printed code: permits and issued transcripts alike."""
    from richwell.models import Role
    from richwell.services.grades import transcripts
    from tests.factories import make_user

    student = make_student(first_name="Ana", last_name="Lim")
    registrar = make_user(Role.REGISTRAR)
    transcript = transcripts.issue_transcript(registrar, student.id)
    result = verification.verify(transcript.code)
    assert result["verify_kind"] == "DOCUMENT" and result["valid"] is True
    assert result["student_number"] == student.student_number and "cumulative_gpa" not in result
    page = client.get(f"/verify/{transcript.code}")
    assert page.status_code == 200 and b"Ana Lim" in page.data and b"Transcript" in page.data
