"""The app starts, serves sign-in, and every role lands on its own home page."""
from richwell.models import Role


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_each_role_lands_on_its_home(client, as_role):
    homes = {"student": "/student/", "cashier": "/cashier/", "registrar": "/registrar/",
             "head_registrar": "/registrar/", "professor": "/professor/", "admission": "/admission/",
             "admin": "/admin/"}
    for role in Role:
        c, user = as_role(role.value)
        response = c.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(homes[role.value])
        assert c.get(homes[role.value]).status_code == 200
