"""Issue 15: NUL and other control characters are refused with a field message in every
search box and every form (one shared validator), never a 500 (PostgreSQL refuses NUL)."""
from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from richwell.extensions import db
from richwell.models import AuditEntry, Role, User
from richwell.services.platform.errors import ValidationError
from richwell.services.platform.text import check_text, control_character_in
from tests.factories import make_user

MESSAGE = "contains a control character"

# Every staff search box and filter that reads free text from the query string.
SEARCH_BOXES = [
    (Role.CASHIER, "/cashier/", "q"), (Role.CASHIER, "/cashier/search", "q"), (Role.CASHIER, "/cashier/pick", "q"),
    (Role.CASHIER, "/cashier/verify-permit", "code"),
    (Role.REGISTRAR, "/registrar/students", "q"), (Role.REGISTRAR, "/registrar/enrollment", "q"),
    (Role.REGISTRAR, "/registrar/rosters", "q"), (Role.REGISTRAR, "/registrar/grades", "q"),
    (Role.HEAD_REGISTRAR, "/registrar/students", "q"),
    (Role.ADMIN, "/admin/users", "q"), (Role.ADMIN, "/admin/audit", "actor"), (Role.ADMIN, "/admin/audit", "action"),
    (Role.ADMIN, "/admin/enrollment", "q"), (Role.ADMIN, "/admin/receipts", "number"),
    (Role.PROFESSOR, "/professor/verify-permit", "code"),
]


@pytest.mark.parametrize("role,url,arg", SEARCH_BOXES)
@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "cruz\x1b[2J", "x\x7f"])
def test_a_search_box_refuses_control_characters_at_the_field(client, login, role, url, arg, bad):
    login(make_user(role))
    response = client.get(url, query_string={arg: bad})
    assert response.status_code < 500
    assert MESSAGE in response.get_data(as_text=True), (url, arg, response.status_code)


@pytest.mark.parametrize("role,url,arg", SEARCH_BOXES[:3])
def test_the_htmx_search_shows_the_message_in_the_results(client, login, role, url, arg):
    login(make_user(role))
    response = client.get(url, query_string={arg: "a\x00"}, headers={"HX-Request": "true"})
    assert response.status_code < 500 and MESSAGE in response.get_data(as_text=True)


def test_ordinary_search_text_passes(client, login):
    login(make_user(Role.REGISTRAR))
    response = client.get("/registrar/students", query_string={"q": "Dela Cruz\tMaria"})
    assert response.status_code == 200 and MESSAGE not in response.get_data(as_text=True)


def test_a_form_refuses_control_characters_at_the_field_and_changes_nothing(client, login):
    admin = make_user(Role.ADMIN)
    login(admin)
    response = client.post("/admin/users", data={"email": "new@richwell.edu.ph", "first_name": "Ni\x00na",
                                                 "last_name": "Cruz", "role": "cashier"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "“First name” contains a control character" in body
    assert db.session.query(User).filter_by(email="new@richwell.edu.ph").count() == 0
    assert db.session.query(AuditEntry).count() == 0


def test_the_sign_in_form_refuses_nul_without_a_500(client):
    response = client.post("/login", data={"identifier": "a\x00@richwell.edu.ph", "password": "x\x00"})
    assert response.status_code == 400 and MESSAGE in response.get_data(as_text=True)


def test_every_form_of_the_portal_uses_the_shared_rule():
    import importlib
    import pkgutil

    import richwell.web as web
    from richwell.web.forms import PortalForm

    for module in pkgutil.walk_packages(web.__path__, "richwell.web."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    outside = [f"{c.__module__}.{c.__name__}" for c in subclasses(FlaskForm)
               if c.__module__.startswith("richwell.") and not issubclass(c, PortalForm)]
    assert outside == []


@pytest.mark.parametrize("raw,found", [("plain", None), ("tab\tand\nlines\r", None), ("a\x00", "\x00"),
                                       ("\x1b", "\x1b"), ("\x7f", "\x7f"), ("\x85", "\x85"), ("é ñ 漢字", None)])
def test_the_shared_rule(raw, found):
    assert control_character_in(raw) == found
    if found:
        with pytest.raises(ValidationError) as caught:
            check_text(raw, "name", "The name")
        assert MESSAGE in caught.value.fields["name"][0]
    else:
        check_text(raw, "name", "The name")


def _parsers():
    from richwell.services.academics import rules as academics_rules
    from richwell.services.admissions import rules as admissions_rules
    from richwell.services.enrollment import rules as enrollment_rules
    from richwell.services.finance import reversal_policy
    from richwell.services.grades import rules as grades_rules

    return [
        ("reason", lambda raw: enrollment_rules.check_reason(raw, "reason")),
        ("reason", lambda raw: grades_rules.check_reason(raw)),
        ("reason", lambda raw: reversal_policy.reversal_reason(raw)),
        ("title", lambda raw: academics_rules.optional_text(raw, "title", "title", 200)),
        ("address", lambda raw: admissions_rules.parse_text(raw, "address", "address", 500)),
    ]


@pytest.mark.parametrize("index", range(5))
def test_hand_read_fields_are_refused_by_the_services_too(index):
    """Reasons and notes read without a form class (grade reopen and change requests, drops,
    reversals, curriculum text, admissions) meet the same rule inside the service."""
    field, parse = _parsers()[index]
    with pytest.raises(ValidationError) as caught:
        parse("a long enough reason \x00 here")
    assert MESSAGE in caught.value.fields[field][0]
