"""Terms: dates in order, a unique academic year + semester, exactly one current term."""
import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import AuditEntry, Role, Term
from richwell.services.academics import terms
from richwell.services.platform.errors import Conflict, DomainError, ValidationError
from tests.factories import make_term, make_user

GOOD = dict(start_date="2026-08-03", end_date="2026-12-18", enrollment_open="2026-08-03",
            enrollment_close="2026-08-21", drop_deadline="2026-09-04", grade_deadline="2026-12-16")


def create(**overrides):
    values = dict(academic_year="2026-2027", semester="FIRST", **GOOD)
    values.update(overrides)
    return terms.create_term(None, **values)


def term_count() -> int:
    return db.session.scalar(select(func.count(Term.id)))


def test_a_term_is_created_with_its_dates_and_audited():
    term = create(academic_year="2026–2027", semester="first", make_current=True)
    assert (term.academic_year, term.semester, term.is_current) == ("2026-2027", "FIRST", True)
    assert term.name == "1st semester 2026-2027"
    assert term.enrollment_close == date(2026, 8, 21)
    assert db.session.scalar(select(AuditEntry.action)) == "term.create"


@pytest.mark.parametrize("overrides,field,message", [
    ({"end_date": "2026-08-03"}, "end_date", "The term must end after it starts."),
    ({"end_date": "2026-07-01"}, "end_date", "The term must end after it starts."),
    ({"enrollment_open": "2026-07-20"}, "enrollment_open", "Enrollment must open within the term."),
    ({"enrollment_close": "2026-08-03"}, "enrollment_close", "Enrollment must close after it opens."),
    ({"enrollment_close": "2026-12-19", "drop_deadline": "2026-12-19", "grade_deadline": "2026-12-19"},
     "enrollment_close", "Enrollment must close within the term."),
    ({"drop_deadline": "2026-08-20"}, "drop_deadline", "The drop deadline cannot come before enrollment closes."),
    ({"drop_deadline": "2026-12-19"}, "drop_deadline", "The drop deadline must fall within the term."),
    ({"grade_deadline": "2026-09-04"}, "grade_deadline", "The grade-entry deadline must come after the drop deadline."),
    ({"grade_deadline": "2026-12-25"}, "grade_deadline", "The grade-entry deadline must fall within the term."),
])
def test_term_dates_must_be_in_order(overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        create(**overrides)
    assert message in caught.value.fields[field]
    assert term_count() == 0


@pytest.mark.parametrize("raw", ["", "2026-13-01", "yesterday", "01/08/2026", "9" * 300])
def test_malformed_dates_are_refused_at_their_field(raw):
    with pytest.raises(ValidationError) as caught:
        create(drop_deadline=raw)
    assert "drop_deadline" in caught.value.fields
    assert term_count() == 0


@pytest.mark.parametrize("raw", ["", "2026", "2026-2028", "abcd-efgh", "1999-2000", "2026-2027-2028"])
def test_academic_year_is_two_consecutive_years(raw):
    with pytest.raises(ValidationError) as caught:
        create(academic_year=raw)
    assert "academic_year" in caught.value.fields


def test_the_same_academic_year_and_semester_cannot_exist_twice():
    create()
    with pytest.raises(Conflict) as caught:
        create()
    assert caught.value.fields["semester"] == ["1st semester 2026-2027 already exists."]
    assert term_count() == 1


def test_a_second_current_term_is_refused_at_the_field():
    create(make_current=True)
    with pytest.raises(ValidationError) as caught:
        create(semester="SECOND", make_current=True)
    assert "1st semester 2026-2027 is the current term" in caught.value.fields["make_current"][0]
    assert term_count() == 1


def test_the_database_holds_at_most_one_current_term():
    make_term(current=True)
    db.session.add(Term(academic_year="2030-2031", semester="FIRST", is_current=True, **{
        k: date.fromisoformat(v) for k, v in GOOD.items()}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_switching_the_current_term_is_one_audited_action():
    registrar = make_user(Role.REGISTRAR)
    old = create(make_current=True)
    new = create(semester="SECOND")
    terms.switch_current_term(registrar, new.id, reason="Second semester starts.")
    db.session.refresh(old)
    assert (old.is_current, new.is_current) == (False, True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "term.switch_current")).all()
    assert len(entries) == 1
    assert entries[0].before == {"current": "1st semester 2026-2027"}
    assert entries[0].after == {"current": "2nd semester 2026-2027"}
    assert entries[0].reason == "Second semester starts."
    assert terms.current_term().id == new.id


def test_switching_to_the_term_already_current_changes_nothing():
    term = create(make_current=True)
    terms.switch_current_term(None, term.id)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "term.switch_current")) == 0


def test_term_dates_can_be_edited_under_the_same_rules():
    term = create()
    terms.update_term_dates(None, term.id, **{**GOOD, "enrollment_close": "2026-08-28"})
    assert term.enrollment_close == date(2026, 8, 28)
    with pytest.raises(ValidationError) as caught:
        terms.update_term_dates(None, term.id, **{**GOOD, "enrollment_close": "2026-08-01"})
    assert "enrollment_close" in caught.value.fields
    db.session.refresh(term)
    assert term.enrollment_close == date(2026, 8, 28)


@pytest.mark.postgres
def test_two_switches_at_the_same_moment_leave_exactly_one_current_term(app):
    create(make_current=True)
    a, b = create(semester="SECOND"), create(semester="SUMMER")
    barrier = threading.Barrier(2)
    outcomes = []

    def switch(term_id):
        with app.app_context():
            barrier.wait()
            try:
                terms.switch_current_term(None, term_id)
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=switch, args=(t.id,)) for t in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Term.id)).where(Term.is_current.is_(True))) == 1
    assert "ok" in outcomes
