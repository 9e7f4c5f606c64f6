"""Public API: active programs and their curricula, paginated 20 per page."""
from __future__ import annotations

from sqlalchemy import event

from richwell.extensions import db
from richwell.models import Program, Subject
from tests.factories import make_program


def _subject(program, code, *, year=1, semester="FIRST", units=3, major=True, prerequisites=()):
    subject = Subject(program_id=program.id, code=code, title=f"{code} title", units=units, is_major=major,
                      year_level=year, semester=semester)
    subject.prerequisites = list(prerequisites)
    db.session.add(subject)
    db.session.commit()
    return subject


def test_programs_lists_active_programs_only(client):
    bsit = make_program("BSIT", "BS Information Technology", years=4)
    make_program("BSBA", "BS Business Administration")
    old = make_program("OLD", "Closed program")
    old.is_active = False
    db.session.commit()
    response = client.get("/api/v1/public/programs/")
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [p["code"] for p in body["results"]] == ["BSBA", "BSIT"]
    assert body["results"][1] == {"id": bsit.id, "code": "BSIT", "name": "BS Information Technology", "years": 4}


def test_programs_are_paginated_20_per_page_with_absolute_links(client):
    for n in range(25):
        make_program(f"P{n:02d}")
    first = client.get("/api/v1/public/programs/").get_json()
    assert first["count"] == 25 and len(first["results"]) == 20
    assert first["next"] == "http://localhost/api/v1/public/programs/?page=2" and first["previous"] is None
    second = client.get(first["next"]).get_json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert second["previous"] == "http://localhost/api/v1/public/programs/?page=1"
    past = client.get("/api/v1/public/programs/?page=9").get_json()
    assert past["results"] == [] and past["count"] == 25 and past["next"] is None
    assert past["previous"] == "http://localhost/api/v1/public/programs/?page=2"


def test_bad_page_numbers_are_400_invalid(client):
    for page in ("0", "-1", "abc", "1.5", "99999999999999999999"):
        response = client.get(f"/api/v1/public/programs/?page={page}")
        assert response.status_code == 400, page
        assert "page" in response.get_json()["error"]["fields"]


def test_program_subjects_in_curriculum_order_with_prerequisite_codes(client):
    program = make_program("BSIT")
    it101 = _subject(program, "IT101")
    it102 = _subject(program, "IT102", semester="SECOND", prerequisites=[it101])
    _subject(program, "IT201", year=2, prerequisites=[it102, it101], major=False)
    _subject(program, "GE100", semester="SUMMER")
    other = make_program("BSBA")
    _subject(other, "BA101")
    response = client.get(f"/api/v1/public/programs/{program.id}/subjects/")
    assert response.status_code == 200
    body = response.get_json()
    assert [s["code"] for s in body["results"]] == ["IT101", "IT102", "GE100", "IT201"]
    it201 = body["results"][3]
    assert it201 == {"id": it201["id"], "code": "IT201", "title": "IT201 title", "units": 3, "year_level": 2,
                     "semester": "FIRST", "is_major": False, "prerequisites": ["IT101", "IT102"]}
    assert body["results"][0]["prerequisites"] == []


def test_program_subjects_take_a_fixed_number_of_queries(client):
    program = make_program("BSIT")
    previous = None
    for n in range(20):
        previous = _subject(program, f"IT{n:03d}", prerequisites=[previous] if previous else [])
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(f"/api/v1/public/programs/{program.id}/subjects/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 5, statements


def test_subjects_of_an_unknown_or_closed_program_are_404(client):
    closed = make_program("OLD")
    closed.is_active = False
    db.session.commit()
    for program_id in (closed.id, 424242):
        response = client.get(f"/api/v1/public/programs/{program_id}/subjects/")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert db.session.query(Program).count() == 1
