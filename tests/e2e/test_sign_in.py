"""Each role signs in through the browser and lands on its own home page."""
import pytest

from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, make_student, make_user

HOMES = {
    Role.STUDENT: ("/student/", "Welcome"),
    Role.CASHIER: ("/cashier/", "Cashier"),
    Role.REGISTRAR: ("/registrar/", "Registrar"),
    Role.HEAD_REGISTRAR: ("/registrar/", "Registrar"),
    Role.PROFESSOR: ("/professor/", "My classes"),
    Role.ADMISSION: ("/admission/", "Applications"),
    Role.ADMIN: ("/admin/", "Administration"),
}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_signs_in_and_lands_home(page, sign_in, live_server, role):
    if role is Role.STUDENT:
        student = make_student(email="student.e2e@example.edu.ph")
        identifier = student.student_number  # students may sign in by number
    else:
        identifier = make_user(role, email=f"{role.value}.e2e@richwell.edu.ph").email
    sign_in(identifier, DEFAULT_PASSWORD)
    path, heading = HOMES[role]
    assert page.url == live_server + path
    assert heading in page.locator("h1").inner_text()
    # The bell loaded through HTMX with the CSRF-carrying config.
    page.locator("#bell a.bell").wait_for()


def test_wrong_password_shows_generic_message(page, sign_in):
    make_user(Role.CASHIER, email="c.e2e@richwell.edu.ph")
    sign_in("c.e2e@richwell.edu.ph", "wrong-password")
    assert "did not work" in page.locator(".flash-error").inner_text()
    assert page.url.endswith("/login")
