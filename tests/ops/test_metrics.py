"""/metrics: Prometheus text, figures that move when the school works, and who may read it.
Also the JSON request log line and the request id it shares with the response."""
from __future__ import annotations

import json
import logging
import re

from prometheus_client.parser import text_string_to_metric_families

from richwell.extensions import db
from tests.factories import make_enrollment, make_student, pay


def _scrape(client, **kwargs) -> dict[str, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


def test_counters_move_after_a_payment(app, client):
    before = _scrape(client)
    enrollment = make_enrollment(make_student())
    pay(enrollment, "1000.00")
    db.session.commit()
    client.get("/healthz")
    after = _scrape(client)

    assert after["richwell_payments_recorded_total{}"] == before["richwell_payments_recorded_total{}"] + 1
    assert after["richwell_enrollments_recorded_total{}"] == before["richwell_enrollments_recorded_total{}"] + 1
    key = "richwell_http_requests_total{endpoint=public.healthz,method=GET,status=2xx}"
    assert after[key] == before.get(key, 0) + 1
    assert after["richwell_http_request_duration_seconds_count{endpoint=public.healthz}"] >= 1
    assert "richwell_queue_pending{}" in after and "richwell_queue_up{}" in after
    assert any(name.startswith("richwell_periodic_job_seconds_since_success{task=nightly_backup")
               for name in after)


def test_an_unlisted_address_gets_403_and_a_bearer_token_gets_in(app, client):
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=elsewhere).status_code == 403
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    try:
        wrong = client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        right = client.get("/metrics", environ_base=elsewhere,
                           headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert right.status_code == 200 and b"richwell_payments_recorded_total" in right.data
    finally:
        app.config["METRICS_TOKEN"] = None
    app.config["METRICS_ALLOWED_NETWORKS"] = ("203.0.113.0/24",)
    try:
        assert client.get("/metrics", environ_base=elsewhere).status_code == 200
        assert client.get("/metrics").status_code == 403  # loopback is no longer listed
    finally:
        app.config["METRICS_ALLOWED_NETWORKS"] = ("127.0.0.1/32", "::1/128")


def test_one_json_log_line_per_request_with_its_id(app, client, login, caplog):
    from richwell.models import Role
    from richwell.web.observability import JsonLineFormatter
    from tests.factories import make_user

    user = make_user(Role.CASHIER)
    login(user)
    with caplog.at_level(logging.INFO, logger="richwell.requests"):
        response = client.get("/cashier/?q=Santos", headers={"X-Request-ID": "edge-1234abcd"})
    assert response.headers["X-Request-ID"] == "edge-1234abcd"
    records = [r for r in caplog.records if r.name == "richwell.requests"]
    assert len(records) == 1
    line = json.loads(JsonLineFormatter().format(records[0]))
    assert line["request_id"] == "edge-1234abcd" and line["status"] == response.status_code
    assert line["user_id"] == user.id and line["role"] == "cashier" and line["endpoint"].startswith("cashier.")
    assert line["sql_statements"] >= 1 and line["duration_ms"] >= 0

    # A made-up id with spaces or control characters is replaced, never echoed.
    response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_an_api_request_log_line_names_the_token_owner(app, client, caplog):
    from richwell.models import Role
    from richwell.web.observability import JsonLineFormatter
    from tests.factories import make_api_token, make_user, token_headers

    user = make_user(Role.CASHIER)
    headers = token_headers(make_api_token(user))
    with caplog.at_level(logging.INFO, logger="richwell.requests"):
        assert client.get("/api/v1/cashier/payment/payment_methods/", headers=headers).status_code == 200
        assert client.get("/api/v1/cashier/payment/payment_methods/",
                          headers={"Authorization": "Token rw_not-a-real-token"}).status_code == 401
    lines = [json.loads(JsonLineFormatter().format(r)) for r in caplog.records if r.name == "richwell.requests"]
    assert [(line["user_id"], line["role"], line["status"]) for line in lines] == [
        (user.id, "cashier", 200), (None, None, 401)]


def test_a_queued_task_carries_the_request_id_into_its_log(app, caplog):
    from richwell import tasks
    from richwell.services.platform import correlation

    with caplog.at_level(logging.INFO, logger="richwell.tasks"):
        correlation.bind("req-queued-0001")
        try:
            tasks.enqueue(tasks.ping)  # immediate in tests: queued and run at once
        finally:
            correlation.bind(None)
        # As a consumer runs it: no request around, the id arrives with the message.
        tasks.ping.func(_request_id="req-carried-0002")
    lines = [r.msg for r in caplog.records if r.name == "richwell.tasks" and isinstance(r.msg, dict)]
    assert [(line["task"], line["request_id"], line["outcome"]) for line in lines] == [
        ("ping", "req-queued-0001", "succeeded"), ("ping", "req-carried-0002", "succeeded")]
    assert correlation.current() is None
