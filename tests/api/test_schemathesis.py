"""Schemathesis against the app's own OpenAPI document, in-process (WSGI): for every operation a
bounded number of generated requests, with a valid token of the right role where one is needed.
No request may end in a 500, and every response must match the document.

"Schema-valid request rejected" is not checked: a request can match the document and still be
refused by a rule only the services know (a too-young applicant, a weak password, a section
full, the first month unpaid), which answers its documented 400/422."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from richwell import create_app
from richwell.extensions import db
from richwell.models import Role, Subject
from tests.factories import make_api_token, make_enrollment, make_program, make_student, make_user, token_headers

MAX_EXAMPLES = 25



def _load_schema():
    # The document depends on the code only, not on data: read it from an app of its own at
    # collection time (schemathesis' from_fixture does not run on this pytest), then send every
    # generated request to the test app, whose database the fixtures fill.
    reader = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "schema-only",
                         "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False,
                         "RATELIMIT_STORAGE_URI": "memory://"})
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", reader)


schema = _load_schema()


@pytest.fixture
def callers():
    """A small world to call into, and a token per audience."""
    program = make_program("BSIT", "BS Information Technology")
    first = Subject(program_id=program.id, code="IT101", title="Programming 1", units=3, year_level=1,
                    semester="FIRST")
    db.session.add(first)
    db.session.flush()
    second = Subject(program_id=program.id, code="IT102", title="Programming 2", units=3, year_level=1,
                     semester="SECOND")
    second.prerequisites = [first]
    db.session.add(second)
    db.session.commit()
    student = make_student(program=program)
    make_enrollment(student)
    return {
        "/api/v1/student/": token_headers(make_api_token(student.user)),
        "/api/v1/cashier/": token_headers(make_api_token(make_user(Role.CASHIER))),
    }


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(app, case, callers):
    headers = next((h for prefix, h in callers.items() if case.path.startswith(prefix)), None)
    case.call_and_validate(headers=headers, app=app, excluded_checks=[positive_data_acceptance])
