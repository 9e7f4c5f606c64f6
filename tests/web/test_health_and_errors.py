"""Health checks, error pages, the queue and the CLI."""
from __future__ import annotations

import pytest

from richwell import create_app, tasks
from richwell.extensions import db
from richwell.models import Role, User
from richwell.services.platform import settings


def test_healthz_touches_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_database(client, app):
    response = client.get("/readyz")
    body = response.get_json()
    assert body["checks"]["database"] == "ok"
    if app.config.get("REDIS_URL"):
        assert body["checks"]["redis"] == "ok"
    assert response.status_code == 200


def test_readyz_names_redis_when_it_is_down_without_failing(database_url):
    broken = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                         "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://"})
    with broken.app_context():
        response = broken.test_client().get("/readyz")
        db.session.remove()
    assert response.status_code == 200  # Redis is not required: the node stays in the balancer
    body = response.get_json()
    assert body["degraded"] == ["redis"] and body["failing"] == [] and body["checks"]["database"] == "ok"


def test_error_pages_are_friendly(client, as_role):
    assert b"Not found" in client.get("/no-such-page").data
    c, _ = as_role("student")
    response = c.get("/admin/")
    assert response.status_code == 403 and b"Not allowed" in response.data


def test_api_errors_are_json_never_html(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": response.get_json()["error"]["message"],
                                             "fields": {}}}


def test_unexpected_errors_show_the_500_page(database_url):
    other = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                        "RATELIMIT_STORAGE_URI": "memory://"})

    @other.get("/boom-test-only")
    def boom():  # registered only on this throwaway app
        raise RuntimeError("boom")

    with other.app_context():
        client = other.test_client()
        response = client.get("/boom-test-only")
        api = client.get("/api/v1/boom-test-only")
        db.session.remove()
    assert response.status_code == 500 and b"check whether it was saved" in response.data
    assert b"Nothing was changed" not in response.data  # a failure after a commit did change something
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_queue_runs_tasks_in_an_app_context():
    assert tasks.huey.immediate is True
    assert tasks.ping().get() == "testing"


def test_queue_is_chosen_by_the_apps_configuration(app, tmp_path):
    from huey.storage import PriorityRedisStorage, SqliteStorage

    queue_file = tmp_path / "q.db"
    try:
        app.config.update(REDIS_URL=None, HUEY_SQLITE_PATH=str(queue_file), HUEY_IMMEDIATE=False)
        tasks.configure(app)
        assert isinstance(tasks.huey.storage, SqliteStorage) and tasks.huey.immediate is False
        assert tasks.huey.storage.filename == str(queue_file)
        app.config.update(REDIS_URL="redis://127.0.0.1:6379/15", HUEY_NAME="richwell-config-test")
        tasks.configure(app)
        assert isinstance(tasks.huey.storage, PriorityRedisStorage) and tasks.huey.name == "richwell-config-test"
    finally:
        app.config.update(REDIS_URL=None, HUEY_NAME="richwell", HUEY_IMMEDIATE=True)
        tasks.configure(app)
    assert tasks.huey.immediate is True


def test_seed_demo_is_idempotent_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--password", "demo-pass-1"])
    assert first.exit_code == 0, first.output
    for email in ("admin@richwell.edu.ph", "cashier@richwell.edu.ph", "registrar@richwell.edu.ph",
                  "head.registrar@richwell.edu.ph", "admission@richwell.edu.ph", "prof.santos@richwell.edu.ph"):
        assert email in first.output
    users = db.session.query(User).count()
    second = runner.invoke(args=["seed-demo", "--password", "demo-pass-1"])
    assert second.exit_code == 0
    assert db.session.query(User).count() == users
    assert settings.get("enrollment_link_enabled") is True
    client = app.test_client()
    response = client.post("/login", data={"identifier": "admin@richwell.edu.ph", "password": "demo-pass-1"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "root@richwell.edu.ph"],
                           input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(email="root@richwell.edu.ph").one().role == Role.ADMIN.value
    again = runner.invoke(args=["create-admin", "--email", "root@richwell.edu.ph"],
                          input="a-long-password\na-long-password\n")
    assert again.exit_code != 0 and "already exists" in again.output


@pytest.mark.redis
def test_redis_queue_round_trip(app):
    """With REDIS_URL, a real RedisHuey stores and hands back a task."""
    import os

    from huey import RedisHuey

    queue = RedisHuey("richwell-test", url=os.environ["REDIS_URL"])
    queue.flush()

    @queue.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert queue.pending_count() == 1
    task = queue.dequeue()
    queue.execute(task)
    assert result.get() == 5
    queue.flush()
