"""The portal's own 404, 403 and 500 pages in its layout, the favicon, and the one set of
scripts every page loads (no inline script)."""
from __future__ import annotations

from richwell import create_app
from richwell.extensions import db


def _in_layout(html: str) -> bool:
    return ('class="skip-link"' in html and 'class="topbar"' in html and 'rel="icon"' in html
            and 'class="footer"' in html)


def test_404_is_the_portals_page_in_its_words(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and _in_layout(html)
    assert "There is nothing here" in html and "requested URL was not found" not in html


def test_403_says_who_is_signed_in(as_role):
    c, user = as_role("student")
    response = c.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and _in_layout(html)
    assert f"signed in as {user.email}" in html and "(Student)" in html


def test_500_is_the_portals_page(database_url):
    other = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                        "RATELIMIT_STORAGE_URI": "memory://"})

    @other.get("/boom-layout-test-only")
    def boom():  # registered only on this throwaway app
        raise RuntimeError("boom")

    with other.app_context():
        response = other.test_client().get("/boom-layout-test-only")
        db.session.remove()
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and _in_layout(html) and "boom" not in html


def test_favicon_is_served_for_pages_without_an_icon_link(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml" and b"<svg" in response.data
    assert client.get("/static/favicon.svg").status_code == 200


def test_pages_load_scripts_from_files_only_and_never_axe(client):
    html = client.get("/login").get_data(as_text=True)
    for name in ("js/app.js", "js/keep-place.js", "js/tables.js"):
        assert f"/static/{name}" in html
    assert "<script>" not in html and "axe" not in html
