"""gunicorn.conf.py: the server model comes from the environment, defaults from the cores."""
from __future__ import annotations

import multiprocessing
import runpy
from pathlib import Path

CONF = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")


def test_defaults_follow_the_cores(monkeypatch):
    for name in ("WEB_WORKER_CLASS", "WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(CONF)
    assert conf["worker_class"] == "gthread"
    assert conf["workers"] == max(2, multiprocessing.cpu_count())  # one per core: measured, README "Production"
    assert conf["threads"] == 4
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert conf["graceful_timeout"] > 0 and conf["timeout"] > conf["graceful_timeout"]
    assert '"request_id"' in conf["access_log_format"]


def test_the_environment_sets_the_measured_server(monkeypatch):
    monkeypatch.setenv("WEB_WORKER_CLASS", "sync")
    monkeypatch.setenv("WEB_WORKERS", "7")
    monkeypatch.setenv("WEB_THREADS", "3")
    conf = runpy.run_path(CONF)
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("sync", 7, 3)


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
