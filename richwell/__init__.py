"""Richwell Colleges Portal: the app factory."""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from richwell.config import ROOT, ConfigError, load_config


def _configure_sqlite(engine, immediate: bool) -> None:
    """SQLite as the embedded default: foreign keys on, WAL, a busy timeout, and write
    transactions that take the lock up front (BEGIN IMMEDIATE) so two writers never
    deadlock into "database is locked"."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, connection_record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_app(config_overrides: dict | None = None) -> Flask:
    """Build the portal: config from the environment, extensions, blueprints, CLI, errors."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    app.config.update(load_config(config_overrides))
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops < 0:
        raise ConfigError("TRUSTED_PROXY_HOPS must be 0 or more")
    if hops:
        # The real client address (limits, audit) and scheme from the trusted proxies only.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from richwell import models  # noqa: F401  (every table registered before migrate)
    from richwell.extensions import csrf, db, limiter, login_manager, migrate
    from richwell.services.platform import accounts, outages

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine, app.config["SQLITE_BEGIN_IMMEDIATE"])
        else:
            from richwell import pool

            pool.configure(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    outages.watch_rate_limiter(logging.getLogger("flask-limiter"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    accounts.configure_hasher(fast=app.config["TESTING"])

    @login_manager.user_loader
    def load_user(session_id: str):
        try:
            user_id, version = (int(part) for part in session_id.split(":", 1))
        except ValueError:
            return None
        return accounts.user_for_session(user_id, version)

    from richwell import tasks

    tasks.configure(app)
    _register_blueprints(app)
    _register_templates(app)

    from richwell.web import errors

    errors.register(app)

    from richwell import cli

    cli.register(app)

    from richwell.web.impersonation import check_impersonator

    # First: an impersonation whose admin's session has ended ends before anything runs.
    app.before_request(check_impersonator)

    @app.before_request
    def _acting_context():
        from richwell.services.platform.context import ActingContext, set_acting_context

        set_acting_context(ActingContext(ip=request.remote_addr, impersonator_id=session.get("impersonator_id")))

    from richwell.web import assets, hardening, observability
    from richwell.web.sessions import PageSessions

    app.session_interface = PageSessions()
    assets.register(app)
    hardening.register(app)
    observability.register(app)

    @app.teardown_request
    def _forget_acting_context(_error):
        # The request's actor and impersonator must not leak into later work on this thread.
        from richwell.services.platform.context import ActingContext, set_acting_context

        set_acting_context(ActingContext())

    return app


def _register_blueprints(app: Flask) -> None:
    from richwell import api
    from richwell.web import (
        admin,
        admission,
        auth,
        cashier,
        notifications,
        professor,
        public,
        receipts,
        recovery,
        registrar,
        reports,
        student,
        tokens,
    )

    for module in (public, auth, recovery, notifications, tokens, receipts, student, cashier, registrar, professor,
                   admission, admin, reports):
        app.register_blueprint(module.bp)
    api.init_app(app)


def _register_templates(app: Flask) -> None:
    from richwell.web import filters, papers
    from richwell.web.navigation import LazyNav

    filters.register(app)
    papers.register(app)
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions

    @app.context_processor
    def _layout_context():
        user = current_user if current_user and current_user.is_authenticated else None
        return {
            "nav_links": LazyNav(user),
            "home_links": LazyNav(user, with_more=True),
            "impersonator_email": session.get("impersonator_email") if user else None,
        }
