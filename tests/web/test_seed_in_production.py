"""Issue 15: seed-demo refuses production unless forced, and then changes nobody's password."""
from __future__ import annotations

import pytest

from richwell.extensions import db
from richwell.models import Role, User
from richwell.services.platform import accounts
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("empty_uploads")


@pytest.fixture
def production(app):
    app.config["RICHWELL_ENV"] = "production"
    try:
        yield app
    finally:
        app.config["RICHWELL_ENV"] = "testing"


def test_seed_demo_refuses_production_without_the_flag(production):
    admin = make_user(Role.ADMIN, email="admin@richwell.edu.ph", password="the-real-admin-pw")
    users = db.session.query(User).count()
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output
    assert db.session.query(User).count() == users
    assert accounts.authenticate(admin.email, "the-real-admin-pw") is not None


def test_forced_in_production_it_needs_a_password(production):
    result = production.test_cli_runner().invoke(args=["seed-demo", "--force-production"])
    assert result.exit_code != 0 and "--password" in result.output
    assert db.session.query(User).count() == 0


def test_forced_in_production_existing_accounts_keep_their_passwords(production):
    make_user(Role.ADMIN, email="admin@richwell.edu.ph", password="the-real-admin-pw")
    cashier = make_user(Role.CASHIER, email="cashier@richwell.edu.ph", password="cashiers-own-pw")
    with unit_of_work():
        db.session.get(User, cashier.id).must_change_password = True
    result = production.test_cli_runner().invoke(args=["seed-demo", "--force-production", "--password",
                                                       "new-demo-pw-1"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert accounts.authenticate("admin@richwell.edu.ph", "the-real-admin-pw") is not None
    assert accounts.authenticate("admin@richwell.edu.ph", "new-demo-pw-1") is None
    assert accounts.authenticate("cashier@richwell.edu.ph", "cashiers-own-pw") is not None
    assert db.session.get(User, cashier.id).must_change_password is True
    # Accounts the seed created are the new ones, with the given password.
    assert accounts.authenticate("registrar@richwell.edu.ph", "new-demo-pw-1") is not None
