"""gunicorn.conf.py: the server model comes from the environment, defaults from the cores."""
from __future__ import annotations

import http.client
import multiprocessing
import os
import runpy
from collections import Counter
from pathlib import Path

from tests.servers import BIN, port_open, spare_port, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
CONF = str(ROOT / "gunicorn.conf.py")


def test_defaults_follow_the_cores(monkeypatch):
    for name in ("WEB_WORKER_CLASS", "WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(CONF)
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] == max(2, multiprocessing.cpu_count())  # one per core: measured, README "Production"
    assert conf["threads"] == 4
    assert conf["worker_connections"] == 25 and conf["worker_connections"] > conf["threads"]
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert conf["graceful_timeout"] > 0 and conf["timeout"] > conf["graceful_timeout"]
    assert '"request_id"' in conf["access_log_format"]


def test_the_environment_sets_the_measured_server(monkeypatch):
    monkeypatch.setenv("WEB_WORKER_CLASS", "sync")
    monkeypatch.setenv("WEB_WORKERS", "7")
    monkeypatch.setenv("WEB_THREADS", "3")
    monkeypatch.setenv("WEB_WORKER_CONNECTIONS", "40")
    conf = runpy.run_path(CONF)
    assert (conf["worker_class"], conf["workers"], conf["threads"], conf["worker_connections"]) == ("sync", 7, 3, 40)


def test_no_worker_hoards_keep_alive_connections(tmp_path):
    """gthread keeps each connection with the worker that accepted it. With gunicorn's default
    cap (1000) one worker kept all 20 of these clients' connections while the other idled; with
    the config's cap a worker stops accepting at the cap (and, with about cap - threads idle
    ones, answers "Connection: close"), so no worker holds more than the cap."""
    port = spare_port()
    env = {**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2", "WEB_THREADS": "4",
           "WEB_WORKER_CONNECTIONS": "10", "WEB_ACCESS_LOG": "", "WEB_MAX_REQUESTS": "0", "PYTHONPATH": str(ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = start([str(BIN / "gunicorn"), "-c", CONF, "--keep-alive", "30", "tests.ops.pid_app:app"],
                   log=tmp_path / "gunicorn.log", env=env, cwd=str(ROOT))
    clients: list[http.client.HTTPConnection] = []
    try:
        wait_for(lambda: port_open(port), 30, "gunicorn", server)
        kept: Counter[str] = Counter()
        for _ in range(20):
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            client.request("GET", "/")
            response = client.getresponse()
            worker = response.read().decode()
            assert response.status == 200 and worker.isdigit()
            if response.getheader("Connection", "").lower() != "close":
                kept[worker] += 1
                clients.append(client)  # held open: the worker keeps it
        assert sum(kept.values()) >= 6, kept
        assert max(kept.values()) <= 10, kept
    finally:
        for client in clients:
            client.close()
        stop(server)


def test_a_fresh_start_empties_the_metrics_folder(monkeypatch, tmp_path):
    stale = tmp_path / "counter_123.db"
    stale.write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(CONF)

    class Server:
        class log:
            @staticmethod
            def info(*args):
                pass

    conf["on_starting"](Server())
    assert not stale.exists()
