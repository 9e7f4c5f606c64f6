"""Dashboards in a real browser: the registrar's dashboard draws its SVG charts and a number
opens the list behind it; a cashier downloads the receivables aging report."""
from __future__ import annotations

import csv
import io

from richwell.extensions import db
from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, make_enrollment, make_student, make_term, make_user
from tests.factories.payments import pay


def _school():
    term = make_term()
    paid = make_enrollment(make_student(number="2026-00301"), term)
    make_enrollment(make_student(number="2026-00302"), term)
    pay(paid, "5000.00")
    db.session.commit()


def test_registrar_dashboard_charts_and_a_number_that_opens_its_list(page, sign_in):
    make_user(Role.REGISTRAR, email="registrar.dash@richwell.edu.ph")
    _school()
    sign_in("registrar.dash@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/reports/dashboard")
    page.get_by_role("heading", name="Registrar dashboard").wait_for()
    funnel = page.get_by_role("group", name="Enrollment funnel")
    funnel.wait_for()
    assert page.locator("svg.chart-svg rect.chart-bar").count() >= 4
    assert "Applied: 2" in (funnel.locator("desc").text_content() or "")
    page.screenshot(path="/tmp/reports-registrar-dashboard.png", full_page=True)
    page.locator("#funnel-paid").click()
    page.get_by_role("heading", name="Enrollment list").wait_for()
    table = page.locator("#report-table")
    assert "2026-00301" in table.inner_text() and "2026-00302" not in table.inner_text()


def test_cashier_downloads_the_aging_report(page, sign_in):
    make_user(Role.CASHIER, email="cashier.dash@richwell.edu.ph")
    _school()
    sign_in("cashier.dash@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/reports/dashboard")
    page.get_by_role("heading", name="Finance dashboard").wait_for()
    page.get_by_role("group", name="Receivables aging").wait_for()
    page.screenshot(path="/tmp/reports-finance-dashboard.png", full_page=True)
    with page.expect_download(timeout=60000) as info:
        page.get_by_role("link", name="Download aging (CSV)").click()
    download = info.value
    assert download.suggested_filename == "aging.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0][0] == "Student number"
    assert {r[0] for r in rows[1:]} == {"2026-00301", "2026-00302"}
