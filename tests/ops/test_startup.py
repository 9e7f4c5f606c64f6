"""Bad starts fail clearly: a weak SECRET_KEY, an unreachable database or Redis."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from richwell.config import ConfigError, load_config

WAIT = str(Path(__file__).resolve().parents[2] / "deploy" / "wait_for_services.py")


@pytest.mark.parametrize("secret", ["short", "richwell-development-only-secret"])
def test_a_weak_secret_key_is_refused_in_production(secret):
    with pytest.raises(ConfigError, match="too weak"):
        load_config({"RICHWELL_ENV": "production", "SECRET_KEY": secret})


def test_start_stops_naming_the_unreachable_parts(monkeypatch, capsys):
    monkeypatch.setenv("RICHWELL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portal.example.edu.ph")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("STARTUP_WAIT_SECONDS", "0")
    assert runpy.run_path(WAIT)["main"]() == 1
    err = capsys.readouterr().err
    assert "database is unreachable" in err and "redis is unreachable" in err


def test_start_goes_ahead_when_everything_answers(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("RICHWELL_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert runpy.run_path(WAIT)["main"]() == 0
