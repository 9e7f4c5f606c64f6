"""DOMAIN.md "Grades": after finalization a change needs a request with a reason and a
registrar's approval (the head registrar's when a registrar asked; never one's own); every
version is kept. INC resolution: the professor's completion grade, approved, stops the clock."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, GradeChangeRequest, IncRecord, Notification, Role, User
from richwell.services import grades as grades_service
from richwell.services.grades.changes import resolve_inc
from richwell.services.platform.clock import today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from tests.factories import add_to_class, make_class, make_student, make_user, post_grades


@pytest.fixture
def posted():
    """A finalized class: a 2.00, an INC and a 5.00."""
    offering = make_class(units=3)
    a, b, c = add_to_class(offering), add_to_class(offering), add_to_class(offering)
    post_grades(offering, {a.id: "2.00", b.id: "INC", c.id: "5.00"})
    professor = db.session.get(User, offering.professor_id)
    return offering, professor, a, b, c


def _pending() -> int:
    return db.session.scalar(select(func.count()).select_from(GradeChangeRequest)
                             .where(GradeChangeRequest.status == "PENDING"))


def test_professor_requests_a_change_and_a_registrar_approves_it(posted):
    offering, professor, a, _b, _c = posted
    request = grades_service.request_change(professor, a.id, "1.75", "Recomputed the final exam")
    assert (request.old_value, request.new_value, request.kind, request.needs_head) == ("2.00", "1.75", "CHANGE", False)
    db.session.refresh(a)
    assert a.grade == "2.00"  # nothing changes before approval
    registrar = make_user(Role.REGISTRAR)
    grades_service.decide_change(registrar, request.id, True)
    db.session.refresh(a)
    assert (a.grade, a.status) == ("1.75", "PASSED")
    last = grades_service.history(a.id)[-1]
    assert (last.previous_value, last.value, last.source, last.reason, last.actor_id, last.change_request_id) == (
        "2.00", "1.75", "CHANGE_REQUEST", "Recomputed the final exam", registrar.id, request.id)
    assert [v.value for v in grades_service.history(a.id)] == ["2.00", "2.00", "1.75"]
    note = db.session.scalars(select(Notification).where(Notification.user_id == a.enrollment.student.user_id)
                              .order_by(Notification.id)).all()[-1]
    assert note.kind == "grade_posted" and "now 1.75 (was 2.00)" in note.message
    assert a.enrollment.student.cumulative_gpa == Decimal("1.75")
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "grade.change_approve")) == \
        "Recomputed the final exam"


def test_a_change_can_fail_or_drop_a_passed_grade(posted):
    _offering, professor, a, _b, c = posted
    registrar = make_user(Role.REGISTRAR)
    dropped = grades_service.request_change(professor, a.id, "DRP", "Officially dropped")
    grades_service.decide_change(registrar, dropped.id, True)
    removal = grades_service.request_change(professor, c.id, "3.00", "Removal exam")
    grades_service.decide_change(registrar, removal.id, True)
    db.session.refresh(a)
    db.session.refresh(c)
    assert (a.status, c.status) == ("DROPPED", "PASSED")


def test_change_requested_by_a_registrar_needs_the_head_registrar(posted):
    _offering, _professor, a, _b, _c = posted
    registrar, other_registrar = make_user(Role.REGISTRAR), make_user(Role.REGISTRAR)
    head = make_user(Role.HEAD_REGISTRAR)
    request = grades_service.request_change(registrar, a.id, "1.50", "Encoding error")
    assert request.needs_head
    with pytest.raises(DomainError, match="Only the head registrar may approve"):
        grades_service.decide_change(other_registrar, request.id, True)
    db.session.refresh(a)
    assert a.grade == "2.00" and _pending() == 1
    grades_service.decide_change(head, request.id, True)
    db.session.refresh(a)
    assert a.grade == "1.50"


def test_nobody_approves_their_own_request(posted):
    _offering, _professor, a, _b, _c = posted
    head = make_user(Role.HEAD_REGISTRAR)
    request = grades_service.request_change(head, a.id, "1.50", "Encoding error")
    with pytest.raises(DomainError, match="You cannot approve your own request") as error:
        grades_service.decide_change(head, request.id, True)
    assert error.value.code == "not_your_decision"
    db.session.refresh(a)
    db.session.refresh(request)
    assert a.grade == "2.00" and request.status == "PENDING"
    assert grades_service.may_decide(head, request) is not None
    grades_service.decide_change(make_user(Role.HEAD_REGISTRAR), request.id, True)
    db.session.refresh(a)
    assert a.grade == "1.50"


def test_a_change_request_needs_a_reason_and_an_allowed_new_value(posted):
    _offering, professor, a, _b, _c = posted
    with pytest.raises(ValidationError) as error:
        grades_service.request_change(professor, a.id, "1.50", "   ")
    assert "reason" in error.value.fields
    for bad in ("1.3", "0", "4.0", "A", ""):
        with pytest.raises(ValidationError) as error:
            grades_service.request_change(professor, a.id, bad, "reason")
        assert "new_value" in error.value.fields
    with pytest.raises(ValidationError, match="already 2.00"):
        grades_service.request_change(professor, a.id, "2.0", "reason")
    with pytest.raises(ValidationError, match="cannot be changed into INC"):
        grades_service.request_change(professor, a.id, "INC", "reason")
    with pytest.raises(ValidationError):
        grades_service.request_change(professor, a.id, "1.50", "x" * 1001)
    assert _pending() == 0


def test_only_the_class_professor_or_a_registrar_may_ask(posted):
    _offering, _professor, a, _b, _c = posted
    with pytest.raises(NotFound):
        grades_service.request_change(make_user(Role.PROFESSOR), a.id, "1.50", "not my class")
    with pytest.raises(Forbidden):
        grades_service.request_change(make_student().user, a.id, "1.00", "please")
    with pytest.raises(Forbidden):
        grades_service.request_change(make_user(Role.CASHIER), a.id, "1.00", "please")
    with pytest.raises(Forbidden):
        grades_service.decide_change(make_user(Role.PROFESSOR), 1, True)
    assert _pending() == 0


def test_one_pending_request_per_grade(posted):
    _offering, professor, a, _b, _c = posted
    grades_service.request_change(professor, a.id, "1.50", "first")
    with pytest.raises(Conflict, match="already waiting"):
        grades_service.request_change(make_user(Role.REGISTRAR), a.id, "1.25", "second")
    assert _pending() == 1


def test_a_grade_not_yet_final_cannot_be_changed_by_request():
    offering = make_class()
    se = add_to_class(offering)
    with pytest.raises(DomainError, match="not final yet"):
        grades_service.request_change(make_user(Role.REGISTRAR), se.id, "1.00", "early")


def test_rejecting_needs_a_note_and_keeps_the_grade(posted):
    _offering, professor, a, _b, _c = posted
    request = grades_service.request_change(professor, a.id, "1.00", "Bonus points")
    registrar = make_user(Role.REGISTRAR)
    with pytest.raises(ValidationError) as error:
        grades_service.decide_change(registrar, request.id, False, "")
    assert "note" in error.value.fields
    grades_service.decide_change(registrar, request.id, False, "Bonus points are not allowed")
    db.session.refresh(a)
    db.session.refresh(request)
    assert a.grade == "2.00" and request.status == "REJECTED" and request.decided_by_id == registrar.id
    with pytest.raises(Conflict, match="already rejected"):
        grades_service.decide_change(make_user(Role.HEAD_REGISTRAR), request.id, True)


def test_a_stale_request_is_not_applied(posted):
    _offering, professor, a, _b, _c = posted
    request = grades_service.request_change(professor, a.id, "1.00", "first")
    a.grade = "1.25"  # changed by other means meanwhile
    db.session.commit()
    with pytest.raises(DomainError, match="grade changed since the request"):
        grades_service.decide_change(make_user(Role.REGISTRAR), request.id, True)
    db.session.refresh(a)
    assert a.grade == "1.25"


def test_professor_resolves_an_inc_and_the_approval_stops_the_clock(posted):
    _offering, professor, _a, b, _c = posted
    request = resolve_inc(professor, b.id, "2.50")
    assert request.kind == "INC_RESOLUTION" and request.reason == "Requirements completed."
    grades_service.decide_change(make_user(Role.REGISTRAR), request.id, True)
    db.session.refresh(b)
    record = db.session.scalar(select(IncRecord))
    assert (b.grade, b.status, record.status) == ("2.50", "PASSED", "RESOLVED")
    assert record.resolved_at is not None
    assert grades_service.history(b.id)[-1].source == "INC_RESOLUTION"
    # The expiry job no longer touches it.
    assert grades_service.expire_incs(record.base_deadline + timedelta(days=10)) == 0
    db.session.refresh(b)
    assert b.grade == "2.50"


def test_an_inc_is_completed_with_a_numeric_grade_only(posted):
    _offering, professor, a, b, _c = posted
    for bad in ("DRP", "INC", "1.3"):
        with pytest.raises(ValidationError):
            resolve_inc(professor, b.id, bad)
    with pytest.raises(DomainError, match="not INC"):
        resolve_inc(professor, a.id, "1.00")
    assert _pending() == 0


def test_an_inc_completed_as_failed_is_recorded_as_failed(posted):
    _offering, professor, _a, b, _c = posted
    grades_service.decide_change(make_user(Role.REGISTRAR), resolve_inc(professor, b.id, "5.00").id,
                                 True)
    db.session.refresh(b)
    assert (b.grade, b.status) == ("5.00", "FAILED")


def test_an_expired_inc_can_no_longer_be_completed(posted):
    _offering, professor, _a, b, _c = posted
    record = db.session.scalar(select(IncRecord))
    # The deadline passed but the daily job has not run yet: still refused.
    record.base_deadline = today()
    db.session.commit()
    with pytest.raises(DomainError, match="expired on"):
        resolve_inc(professor, b.id, "2.00")
    grades_service.expire_incs(today())
    with pytest.raises(DomainError):
        resolve_inc(professor, b.id, "2.00")
    assert _pending() == 0


def test_a_pending_completion_grade_holds_the_expiry(posted):
    _offering, professor, _a, b, _c = posted
    request = resolve_inc(professor, b.id, "2.00", "Submitted the project")
    record = db.session.scalar(select(IncRecord))
    assert grades_service.expire_incs(record.base_deadline + timedelta(days=1)) == 0
    grades_service.decide_change(make_user(Role.REGISTRAR), request.id, True)
    db.session.refresh(b)
    assert b.grade == "2.00"


def test_a_rejected_completion_lets_the_clock_run_out(posted):
    _offering, professor, _a, b, _c = posted
    request = resolve_inc(professor, b.id, "2.00")
    grades_service.decide_change(make_user(Role.REGISTRAR), request.id, False, "Project incomplete")
    record = db.session.scalar(select(IncRecord))
    assert grades_service.expire_incs(record.base_deadline) == 1
    db.session.refresh(b)
    assert b.grade == "5.00"


def test_from_a_class_sheet_only_that_classs_grades_may_be_changed(posted):
    offering, professor, a, _b, _c = posted
    other = make_class(professor=professor)
    elsewhere = add_to_class(other)
    post_grades(other, {elsewhere.id: "2.00"})
    with pytest.raises(ValidationError, match="not enrolled in this class"):
        grades_service.request_change(professor, elsewhere.id, "1.75", "recheck", offering_id=offering.id)
    with pytest.raises(NotFound, match="not yours"):
        grades_service.request_change(make_user(Role.PROFESSOR), a.id, "1.75", "recheck", offering_id=offering.id)
    assert _pending() == 0
    assert grades_service.request_change(professor, a.id, "1.75", "recheck", offering_id=offering.id).id
