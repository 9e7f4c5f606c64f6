"""Notifications: notify, the bell's unread count, the center, mark read / all read."""
from __future__ import annotations

from richwell.extensions import db
from richwell.models import Notification, Role
from richwell.services.platform import notifications
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import make_user


def _notes(user, n=3, link=None):
    with unit_of_work():
        for i in range(n):
            notifications.notify(user.id, "announcement", f"Note {i}", link)


def test_bell_shows_the_unread_count(as_role):
    client, user = as_role("cashier")
    _notes(user, 3)
    response = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'data-unread="3"' in response.data and b"<html" not in response.data
    assert "HX-Request" in response.headers["Vary"]


def test_mark_read_and_mark_all_read(as_role):
    client, user = as_role("student")
    _notes(user, 3)
    first = db.session.query(Notification).order_by(Notification.id).first()
    response = client.post(f"/notifications/{first.id}/read", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "notifications-changed"
    assert notifications.unread_count(user.id) == 2
    client.post("/notifications/read-all")
    assert notifications.unread_count(user.id) == 0


def test_another_users_notification_is_not_found(as_role):
    client, _ = as_role("student")
    other = make_user(Role.STUDENT)
    _notes(other, 1)
    note = db.session.query(Notification).one()
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None


def test_open_follows_only_local_links(as_role):
    client, user = as_role("student")
    _notes(user, 1, link="/student/")
    note = db.session.query(Notification).one()
    response = client.post(f"/notifications/{note.id}/read", data={"follow": "1"})
    assert response.headers["Location"] == "/student/"


def test_center_lists_newest_first_and_pages(as_role):
    client, user = as_role("admission")
    _notes(user, 25)
    page = client.get("/notifications/").data
    assert b"Note 24" in page and b"Page 1 of 2" in page


def test_unknown_kind_is_a_programming_error():
    import pytest

    with pytest.raises(ValueError):
        notifications.notify(1, "nonsense", "x")
