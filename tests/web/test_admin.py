"""Admin: staff accounts, settings (audited), audit log viewer, impersonation (audited, bannered)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from richwell.extensions import db
from richwell.models import AuditEntry, Role, User
from richwell.services.platform import audit, settings
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import make_program, make_term, make_user


@pytest.fixture
def admin_client(as_role):
    return as_role("admin")


def test_admin_creates_staff_with_a_first_password_to_change(admin_client):
    client, admin = admin_client
    response = client.post("/admin/users", data={"email": "New.Cashier@richwell.edu.ph", "first_name": "Nina",
                                                 "last_name": "Cruz", "role": "cashier"})
    assert response.status_code == 201
    user = db.session.query(User).filter_by(email="new.cashier@richwell.edu.ph").one()
    assert user.role == "cashier" and user.must_change_password
    assert b"First password for" in response.data
    entry = db.session.query(AuditEntry).filter_by(action="account.create").one()
    assert entry.actor_id == admin.id and entry.after["role"] == "cashier"


@pytest.mark.parametrize("data,field_message", [
    ({"email": "", "first_name": "A", "last_name": "B", "role": "cashier"}, b"This field is required"),
    ({"email": "not-an-email", "first_name": "A", "last_name": "B", "role": "cashier"}, b"valid email"),
    ({"email": "x@richwell.edu.ph", "first_name": "A" * 101, "last_name": "B", "role": "cashier"}, b"100"),
    ({"email": "x@richwell.edu.ph", "first_name": "A", "last_name": "B", "role": "student"}, b"Not a valid choice"),
    ({"email": "x@richwell.edu.ph", "first_name": "A", "last_name": "B", "role": "wizard"}, b"Not a valid choice"),
])
def test_staff_account_bad_input_creates_nothing(admin_client, data, field_message):
    client, _ = admin_client
    before = db.session.query(User).count()
    response = client.post("/admin/users", data=data)
    assert response.status_code == 400
    assert field_message in response.data
    assert db.session.query(User).count() == before


def test_duplicate_staff_email_is_refused_any_case(admin_client):
    client, _ = admin_client
    make_user(Role.CASHIER, email="taken@richwell.edu.ph")
    response = client.post("/admin/users", data={"email": "TAKEN@richwell.edu.ph", "first_name": "A",
                                                 "last_name": "B", "role": "registrar"})
    assert response.status_code == 400
    assert b"already exists" in response.data
    assert db.session.query(User).filter(User.email == "taken@richwell.edu.ph").count() == 1


def test_reset_password_forces_change_and_is_audited(admin_client):
    client, _ = admin_client
    user = make_user(Role.CASHIER)
    old_hash, old_version = user.password_hash, user.session_version
    response = client.post(f"/admin/users/{user.id}/reset-password")
    assert response.status_code == 200 and b"First password for" in response.data
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.password_hash != old_hash and user.must_change_password
    assert user.session_version == old_version + 1
    assert db.session.query(AuditEntry).filter_by(action="account.password_reset").count() == 1


def test_admin_cannot_deactivate_themself(admin_client):
    client, admin = admin_client
    client.post(f"/admin/users/{admin.id}/deactivate")
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_active_account


def test_unknown_user_actions_answer_gracefully(admin_client):
    client, _ = admin_client
    assert client.post("/admin/users/999999/deactivate").status_code == 302
    assert db.session.query(AuditEntry).count() == 0


def test_settings_change_is_audited_with_before_and_after(admin_client):
    client, admin = admin_client
    form = {"max_units": "27", "installment_months": "6", "min_monthly_commitment": "1500.50",
            "installment_due_day": "15", "inc_expiry_major_months": "6", "inc_expiry_minor_months": "12",
            "api_token_days": "30",
            "reversal_reason_min": "15", "reversal_needs_approval": "on",
            "enrollment_link_enabled": "on", "impersonation_enabled": "on"}
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 302
    assert settings.get("max_units") == 27
    assert settings.get("min_monthly_commitment") == Decimal("1500.50")
    assert settings.get("enrollment_link_enabled") is True
    entries = {e.target_id: e for e in db.session.query(AuditEntry).filter_by(action="settings.change")}
    assert set(entries) == {"max_units", "min_monthly_commitment", "enrollment_link_enabled",
                            "impersonation_enabled"}  # off by default (issue 15)
    assert entries["max_units"].before == {"max_units": 30} and entries["max_units"].after == {"max_units": 27}
    assert entries["max_units"].actor_id == admin.id


@pytest.mark.parametrize("key,value,message", [
    ("max_units", "", b"whole number"), ("max_units", "-3", b"between"), ("max_units", "999", b"between"),
    ("max_units", "abc", b"whole number"), ("min_monthly_commitment", "1.005", b"2 decimals"),
    ("min_monthly_commitment", "NaN", b"more than 0"), ("min_monthly_commitment", "-5", b"more than 0"),
    ("min_monthly_commitment", "1e99", b"more than 0"),
])
def test_bad_setting_values_change_nothing(admin_client, key, value, message):
    client, _ = admin_client
    form = {"max_units": "30", "installment_months": "6", "min_monthly_commitment": "1000.00",
            "inc_expiry_major_months": "6", "inc_expiry_minor_months": "12", "api_token_days": "30",
            "installment_due_day": "15",
            "reversal_reason_min": "15", "reversal_needs_approval": "on",
            "impersonation_enabled": "on", key: value}
    form["installment_months"] = "5"  # a valid change alongside must not land either
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 400
    assert message in response.data
    assert settings.get("installment_months") == 6
    assert db.session.query(AuditEntry).count() == 0


def test_impersonation_start_banner_and_stop_are_audited(app, admin_client):
    client, admin = admin_client
    settings.set_value(None, "impersonation_enabled", True)
    target = make_user(Role.CASHIER, email="target@richwell.edu.ph")
    response = client.post(f"/admin/users/{target.id}/impersonate")
    assert response.status_code == 302 and response.headers["Location"] == "/cashier/"
    page = client.get("/cashier/")
    assert b"impersonation-banner" in page.data and b"target@richwell.edu.ph" in page.data
    # An action taken while impersonating records who really acted.
    client.post("/notifications/read-all")
    client.post("/impersonation/stop")
    assert client.get("/admin/").status_code == 200
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["settings.change", "impersonation.start", "impersonation.stop"]
    start = db.session.query(AuditEntry).filter_by(action="impersonation.start").one()
    assert start.actor_id == admin.id and start.target_id == str(target.id)


def test_impersonation_refused_when_setting_off_or_target_admin(admin_client):
    client, _ = admin_client
    settings.set_value(None, "impersonation_enabled", True)
    other_admin = make_user(Role.ADMIN)
    client.post(f"/admin/users/{other_admin.id}/impersonate")
    assert client.get("/admin/").status_code == 200  # still themselves
    settings.set_value(None, "impersonation_enabled", False)
    cashier = make_user(Role.CASHIER)
    client.post(f"/admin/users/{cashier.id}/impersonate")
    assert client.get("/cashier/").status_code == 403
    assert db.session.query(AuditEntry).filter_by(action="impersonation.start").count() == 0


def test_audit_log_filters_and_pages(admin_client):
    client, admin = admin_client
    with unit_of_work():
        for i in range(60):
            audit.record(admin, "settings.change", target_type="Setting", target_id=f"k{i}")
        audit.record(None, "grade.expire", target_type="SubjectEnrollment", target_id="1")
    page1 = client.get("/admin/audit")
    assert page1.status_code == 200 and b"Page 1 of 2" in page1.data
    system = client.get("/admin/audit?actor=SYSTEM").data
    assert b"grade.expire" in system and b"settings.change" not in system
    by_action = client.get("/admin/audit?action=grade.").data
    assert b"grade.expire" in by_action and b"k59" not in by_action
    assert client.get("/admin/audit?from=not-a-date&page=-4").status_code == 200


def test_audit_visibility_per_role():
    admin, head = make_user(Role.ADMIN), make_user(Role.HEAD_REGISTRAR)
    reg1, reg2 = make_user(Role.REGISTRAR), make_user(Role.REGISTRAR)
    cashier = make_user(Role.CASHIER)
    with unit_of_work():
        audit.record(admin, "settings.change")
        audit.record(reg1, "student.update")
        audit.record(reg2, "grade.finalize")
        audit.record(cashier, "payment.record")

    def seen(user):
        return sorted(e.action for e in db.session.scalars(audit.visible_entries(user)))

    assert seen(admin) == ["grade.finalize", "payment.record", "settings.change", "student.update"]
    assert seen(head) == ["grade.finalize", "student.update"]
    assert seen(reg1) == ["student.update"]


def test_audit_log_shows_changed_fields_with_names_and_unicode_as_text(admin_client):
    client, admin = admin_client
    program = make_program()
    term = make_term()
    professor = make_user(role="professor", first_name="Niño", last_name="Señor")
    with unit_of_work():
        audit.record(admin, "schedule.assign", target=term,
                     before={"professor": None, "program_id": program.id, "note": "—"},
                     after={"professor": professor.id, "program_id": program.id, "note": "Peñafrancia ₱1,000"})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f"Term: {term.name}" in html
    assert "Niño Señor" in html and "Peñafrancia ₱1,000" in html and "\\u00f1" not in html
    assert f"{program.code} {program.name}" in html and f">{program.id}<" not in html
    assert '<th scope="row">Professor</th>' in html and '<th scope="row">Program</th>' in html
    assert 'class="table-wrap"' in html
