"""The demo documents seed: a release or two and a pending request, idempotently."""
from __future__ import annotations

from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import DocumentRelease, DocumentRequest
from richwell.seed import documents as seed_documents
from richwell.seed import staff
from tests.factories import add_to_class, make_class, make_student, make_term


def test_seed_without_students_does_nothing():
    staff.seed("demo-password-1")
    assert seed_documents.seed("demo-password-1") == []
    assert db.session.scalar(select(func.count()).select_from(DocumentRelease)) == 0


def test_seed_releases_and_queues_a_request_and_runs_twice_safely():
    staff.seed("demo-password-1")
    make_term()
    offering = make_class()
    for _ in range(2):
        add_to_class(offering, make_student(program=offering.subject.program))
    seed_documents.seed("demo-password-1")
    kinds = sorted(db.session.scalars(select(DocumentRelease.kind)))
    assert kinds == ["CGM", "TOR"]
    assert db.session.scalar(select(func.count()).select_from(DocumentRequest)) == 1
    seed_documents.seed("demo-password-1")
    assert db.session.scalar(select(func.count()).select_from(DocumentRelease)) == 2
