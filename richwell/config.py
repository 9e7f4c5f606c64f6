"""Configuration read from the environment, with safe defaults for development."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEV_SECRET = "richwell-development-only-secret"  # never valid in production
MIN_SECRET_LENGTH = 32  # session cookies and CSRF tokens are signed with it


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app (e.g. production without SECRET_KEY)."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"expected a whole number, not {value!r}") from None


PLAN_CACHE_MODES = ("auto", "force_generic_plan", "force_custom_plan")


def postgres_connect_args(database_url: str) -> dict[str, Any]:
    """Statements prepared at their second run on a connection (DB_PREPARE_THRESHOLD=1; psycopg's
    own default is 5) and planned once per preparation (DB_PLAN_CACHE_MODE=force_generic_plan;
    PostgreSQL's own is auto). Planning, not running, was most of PostgreSQL's CPU on the hot
    statements, and psycopg forgets every prepared statement at each ROLLBACK (a refused add, a
    page view), so with the defaults they were planned again and again. Measured in README
    "Production": the dashboards and reports ran as fast, the cashier's search too."""
    if not database_url.startswith("postgresql"):
        return {}
    mode = (os.environ.get("DB_PLAN_CACHE_MODE") or "").strip() or "force_generic_plan"
    if mode not in PLAN_CACHE_MODES:
        raise ConfigError(f"DB_PLAN_CACHE_MODE must be one of {', '.join(PLAN_CACHE_MODES)}, not {mode!r}")
    return {"connect_args": {"prepare_threshold": _int(os.environ.get("DB_PREPARE_THRESHOLD"), 1),
                             "options": f"-c plan_cache_mode={mode}"}}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config dict from environment variables, then apply overrides."""
    overrides = dict(overrides or {})
    env = overrides.get("RICHWELL_ENV") or os.environ.get("RICHWELL_ENV", "development")
    if env not in {"development", "production", "testing"}:
        raise ConfigError(f"RICHWELL_ENV must be development, production or testing, not {env!r}")

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError("SECRET_KEY must be set in production")
        secret = DEV_SECRET
    if env == "production" and (secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH):
        raise ConfigError(f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_LENGTH} random "
                          "characters, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")

    public_base_url = overrides.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL") or ""
    if not public_base_url:
        if env == "production":
            raise ConfigError("PUBLIC_BASE_URL must be set in production (e.g. https://portal.example.edu.ph): "
                              "QR codes, printed links and mail are built on it")
        public_base_url = "http://localhost" if env == "testing" else "http://127.0.0.1:5000"
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", public_base_url):
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) address like https://portal.example.edu.ph, "
                          f"not {public_base_url!r}")

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'richwell.db'}"
    redis_url = os.environ.get("REDIS_URL") or None

    config: dict[str, Any] = {
        "RICHWELL_ENV": env,
        "SECRET_KEY": secret,
        "TESTING": env == "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No pre-ping per checkout (richwell.pool pings only connections that sat idle);
        # connections older than half an hour are replaced.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800, **postgres_connect_args(database_url)},
        # Serialise SQLite writers up front. Tests turn it off: there the test thread reads
        # while the browser-test server writes, and row-lock races are proven on PostgreSQL.
        "SQLITE_BEGIN_IMMEDIATE": _bool(os.environ.get("SQLITE_BEGIN_IMMEDIATE"), True),
        "REDIS_URL": redis_url,
        # Every absolute link (QR codes, printed addresses, mail, API pages) starts here.
        "PUBLIC_BASE_URL": public_base_url.rstrip("/"),
        # Sessions: cookie flags; Secure only where HTTPS is guaranteed (production).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        # A cashier screen stays open all day: the token is bound to the session, not a clock.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
        "WTF_CSRF_ENABLED": _bool(os.environ.get("WTF_CSRF_ENABLED"), True),
        # Rate limits: Redis storage shared by every web node when configured.
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down must not take sign-in and the API down with it: limits move to this
        # process's memory until Redis answers again, and any other limiter error lets the
        # request through (logged and counted, see services.platform.outages).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins, counted per account and per client address separately: one account
        # guessed from many addresses is slowed, a lab of 40 students behind one address is not.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "100 per minute;1000 per hour"),
        # Reverse proxies in front of the app (0: none). With N, the N-th address from the
        # right of X-Forwarded-For (and the scheme) is the client's; never trust more hops
        # than really exist, or any client can pick its own address.
        "TRUSTED_PROXY_HOPS": _int(os.environ.get("TRUSTED_PROXY_HOPS"), 0),
        # API (README "API"): per address when anonymous, per user with a credential.
        "API_RATE_LIMIT_ANONYMOUS": os.environ.get("API_RATE_LIMIT_ANONYMOUS", "100 per hour"),
        "API_RATE_LIMIT_AUTHENTICATED": os.environ.get("API_RATE_LIMIT_AUTHENTICATED", "1000 per hour"),
        "API_TOKEN_RATE_LIMIT": os.environ.get("API_TOKEN_RATE_LIMIT", "10 per minute"),
        # Queue: RedisHuey with REDIS_URL, SqliteHuey file otherwise; immediate in tests.
        "HUEY_IMMEDIATE": _bool(os.environ.get("HUEY_IMMEDIATE"), env == "testing"),
        "HUEY_NAME": os.environ.get("HUEY_NAME", "richwell"),  # a test's consumer gets queues of its own
        "HUEY_SQLITE_PATH": os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE / "huey.db")),
        # Files (services.platform.storage): a local folder per area by default; S3-compatible
        # object storage (MinIO, Ceph, AWS) when several web nodes must see the same files.
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "folder"),
        "STORAGE_FOLDER": os.environ.get("STORAGE_FOLDER", str(INSTANCE / "files")),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_BUCKET": os.environ.get("S3_BUCKET") or None,
        "S3_REGION": os.environ.get("S3_REGION") or None,
        "S3_PREFIX": os.environ.get("S3_PREFIX", ""),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads")),
        "RECEIPT_FOLDER": os.environ.get("RECEIPT_FOLDER", str(INSTANCE / "receipts")),
        "EXPORT_FOLDER": os.environ.get("EXPORT_FOLDER", str(INSTANCE / "exports")),
        # Report downloads over this many rows are built on the queue (progress bar, expiring link).
        "REPORT_QUEUE_ROWS": int(os.environ.get("REPORT_QUEUE_ROWS", "5000")),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "TIMEZONE": "Asia/Manila",
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 25),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool(os.environ.get("SMTP_STARTTLS"), False),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "no-reply@richwell.edu.ph",
        # Operations (docs/DEPLOY.md): JSON request log lines, who may read /metrics, backups.
        "REQUEST_LOG_JSON": _bool(os.environ.get("REQUEST_LOG_JSON"), env == "production"),
        "METRICS_ALLOWED_NETWORKS": tuple(
            part.strip() for part in os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",")
            if part.strip()),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        "BACKUP_FOLDER": os.environ.get("BACKUP_FOLDER", str(INSTANCE / "backups")),
        "BACKUP_KEEP_DAYS": int(os.environ.get("BACKUP_KEEP_DAYS") or 14),
    }
    config.update(overrides)
    return config
