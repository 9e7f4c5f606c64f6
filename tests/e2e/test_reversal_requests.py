"""Issue 15 in a browser: a cashier asks to reverse another cashier's payment; an admin approves."""
from __future__ import annotations

import pytest

from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, make_cashier, make_enrollment, make_user, pay

pytestmark = pytest.mark.e2e


def test_a_cashier_asks_and_an_admin_approves(page, sign_in, tmp_path):
    result = pay(make_enrollment(), "800.00", cashier=make_cashier())
    make_user(Role.CASHIER, email="asker@richwell.edu.ph")
    make_user(Role.ADMIN, email="boss@richwell.edu.ph")
    sign_in("asker@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto(f"/receipts/{result.receipt_number}/reverse")
    page.screenshot(path=str(tmp_path / "ask.png"), full_page=True)
    page.get_by_label("Reason for the reversal").fill("Amount typed 800 instead of 80")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state()
    assert "was sent to an administrator" in page.content()
    page.context.clear_cookies()
    sign_in("boss@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/admin/reversals")
    page.screenshot(path=str(tmp_path / "admin_reversals.png"), full_page=True)
    page.get_by_role("button", name="Approve and reverse").click()
    page.wait_for_load_state()
    assert f"Receipt {result.receipt_number} reversed." in page.content()
