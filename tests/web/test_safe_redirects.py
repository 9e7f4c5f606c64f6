"""Issue 15: one safe-redirect rule for every `next` (control characters, slashes, schemes)."""
from __future__ import annotations

import pytest

from richwell.models import Role
from richwell.web.redirects import safe_next
from tests.factories import DEFAULT_PASSWORD, make_user

HOSTILE = ["/%09/evil.com", "/%0A/x", "/%0D%0ALocation:%20https://evil.com", "//evil.com", "https://evil.com",
           "http:/evil.com", "/\\evil.com", "\\\\evil.com", "/%5Cevil.com", "/%2F/evil.com", "javascript:alert(1)",
           " //evil.com", "evil.com", "/\x00/x", "/\t/evil.com"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_next_that_could_leave_the_site_is_refused(target):
    from urllib.parse import unquote

    assert safe_next(target) is None
    assert safe_next(unquote(target)) is None  # as Flask hands it over, already decoded


@pytest.mark.parametrize("target", ["/admin/settings", "/cashier/?q=cruz", "/registrar/students?q=dela%20cruz"])
def test_a_local_path_is_followed(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("raw_query", ["next=/%09/evil.com", "next=/%0A/x", "next=//evil.com",
                                       "next=https://evil.com", "next=/%5Cevil.com", "next=%2F%2Fevil.com"])
def test_sign_in_with_a_hostile_next_goes_home(client, raw_query):
    make_user(Role.ADMIN, email="boss@richwell.edu.ph")
    response = client.post(f"/login?{raw_query}",
                           data={"identifier": "boss@richwell.edu.ph", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
