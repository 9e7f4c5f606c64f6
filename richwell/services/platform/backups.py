"""Backups: one archive holding the database, the uploads and the receipts, with a manifest.

- create: PostgreSQL with `pg_dump -Fc` inside an exported snapshot, so the row counts in the
  manifest are those of the dump; SQLite with the online backup API. Then the uploads and
  receipts folders. manifest.json lists every member's SHA-256 and every table's row count.
- verify: the archive opens, every member's checksum matches, nothing is missing or extra,
  and the database part is readable (pg_restore --list; SQLite opened and counted).
- restore: verify first (a corrupted or truncated file changes nothing), then only into an
  empty database (no tables) unless forced, then compare the restored row counts.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from richwell.extensions import db

from .clock import now

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FOLDERS = ("uploads", "receipts")


class BackupError(RuntimeError):
    """The archive is unusable or the target refuses it; nothing was changed."""


@dataclass
class BackupReport:
    path: Path
    dialect: str
    tables: dict[str, int]
    files: int
    notes: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string and the environment carrying the password (not on argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (every table, alembic_version included)."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name in _table_names(engine):
            counts[name] = int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
    return counts


def _dump_postgres(url: str, out: Path) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = {name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
                      for name in sorted(inspect(conn).get_table_names())}
            target, env = _libpq(url)
            done = subprocess.run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                                   "-f", str(out), target], env=env, capture_output=True, text=True)
            # The read-only snapshot ends when the connection is given back (reset on return).
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return counts


def _copy_sqlite(url: str, out: Path) -> dict[str, int]:
    source_path = make_url(url).database
    if not source_path:
        raise BackupError("an in-memory SQLite database cannot be backed up")
    with sqlite3.connect(source_path) as source, sqlite3.connect(out) as copy:
        source.backup(copy)  # the online backup API: a consistent copy while the app runs
    engine = create_engine(f"sqlite:///{out}")
    try:
        return row_counts(engine)
    finally:
        engine.dispose()


def create(url: str, folders: dict[str, str], destination: Path) -> BackupReport:
    """Write one archive (a tar) with the database, the folders and manifest.json."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    dialect = make_url(url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="richwell-backup-") as work:
        workdir = Path(work)
        if dialect == "postgresql":
            database_member = PG_DUMP
            counts = _dump_postgres(url, workdir / PG_DUMP)
        elif dialect == "sqlite":
            database_member = SQLITE_COPY
            counts = _copy_sqlite(url, workdir / SQLITE_COPY)
        else:
            raise BackupError(f"backups know PostgreSQL and SQLite, not {dialect}")
        members: dict[str, str] = {database_member: _sha256(workdir / database_member)}
        files: list[tuple[Path, str]] = []
        for label, folder in folders.items():
            root = Path(folder)
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                if path.is_file():
                    arcname = f"{label}/{path.relative_to(root).as_posix()}"
                    members[arcname] = _sha256(path)
                    files.append((path, arcname))
        manifest = {"format": FORMAT, "created_at": now().isoformat(), "dialect": dialect,
                    "database": database_member, "tables": counts, "members": members}
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(now().timestamp())
            archive.addfile(info, io.BytesIO(body))
            archive.add(workdir / database_member, arcname=database_member)
            for path, arcname in files:
                archive.add(path, arcname=arcname)
        partial.replace(destination)  # a crash never leaves a half archive under the real name
    return BackupReport(destination, dialect, counts, len(files))


def _extract(archive_path: Path, into: Path) -> dict[str, Any]:
    """Unpack and check every checksum; BackupError on anything wrong (nothing else touched)."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            names = archive.getnames()
            if MANIFEST not in names:
                raise BackupError("not a portal backup: manifest.json is missing")
            archive.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(f"the archive is corrupted or truncated ({type(exc).__name__}: {exc})") from exc
    try:
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text())
    except ValueError as exc:
        raise BackupError("manifest.json is not valid JSON") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    expected: dict[str, str] = manifest.get("members", {})
    present = {n for n in names if n != MANIFEST and (into / n).is_file()}
    if set(expected) != present:
        missing, extra = sorted(set(expected) - present), sorted(present - set(expected))
        raise BackupError(f"members differ from the manifest (missing {missing}, unexpected {extra})")
    for name, digest in expected.items():
        if _sha256(into / name) != digest:
            raise BackupError(f"checksum mismatch: {name}")
    return manifest


def _check_database_part(manifest: dict[str, Any], workdir: Path) -> None:
    if manifest["dialect"] == "postgresql":
        listed = subprocess.run(["pg_restore", "--list", str(workdir / PG_DUMP)], capture_output=True, text=True)
        if listed.returncode != 0:
            raise BackupError(f"the database dump is unreadable: {listed.stderr.strip()}")
        return
    engine = create_engine(f"sqlite:///{workdir / SQLITE_COPY}")
    try:
        counts = row_counts(engine)
    except Exception as exc:  # noqa: BLE001 - any failure means the copy is unusable
        raise BackupError(f"the SQLite copy is unreadable: {exc}") from exc
    finally:
        engine.dispose()
    if counts != manifest["tables"]:
        raise BackupError("the SQLite copy's row counts differ from the manifest")


def verify(archive_path: Path) -> dict[str, Any]:
    """Check the archive end to end; returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="richwell-verify-") as work:
        manifest = _extract(archive_path, Path(work))
        _check_database_part(manifest, Path(work))
    return manifest


def _is_empty(engine: Engine) -> bool:
    return not _table_names(engine)


def _clear(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        with engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for name in _table_names(engine):
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def _restore_folders(workdir: Path, folders: dict[str, str], force: bool) -> int:
    restored = 0
    for label, folder in folders.items():
        source = workdir / label
        target = Path(folder)
        if not source.is_dir():
            continue
        if target.is_dir() and any(target.iterdir()) and not force:
            raise BackupError(f"the {label} folder {target} is not empty (use --force to overwrite)")
        for path in source.rglob("*"):
            if path.is_file():
                dest = target / path.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                restored += 1
    return restored


def restore(archive_path: Path, url: str, folders: dict[str, str], *, force: bool = False) -> BackupReport:
    """Restore into an empty database (or any, with force) and the folders; counts compared."""
    with tempfile.TemporaryDirectory(prefix="richwell-restore-") as work:
        workdir = Path(work)
        manifest = _extract(archive_path, workdir)
        _check_database_part(manifest, workdir)
        dialect = make_url(url).get_backend_name()
        if dialect != manifest["dialect"]:
            raise BackupError(f"this backup is of a {manifest['dialect']} database, the target is {dialect}")
        engine = create_engine(url)
        try:
            if not _is_empty(engine):
                if not force:
                    raise BackupError("the target database is not empty: restore into an empty one, "
                                      "or pass --force to replace everything in it")
                _clear(engine)
            if dialect == "postgresql":
                target, env = _libpq(url)
                done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                       "--single-transaction", "-d", target, str(workdir / PG_DUMP)],
                                      env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
            else:
                engine.dispose()
                with sqlite3.connect(workdir / SQLITE_COPY) as source, \
                        sqlite3.connect(make_url(url).database or ":memory:") as target_db:
                    source.backup(target_db)
            files = _restore_folders(workdir, folders, force)
            counts = row_counts(engine)
        finally:
            engine.dispose()
    if counts != manifest["tables"]:
        raise BackupError(f"restored row counts differ from the manifest: {counts} != {manifest['tables']}")
    return BackupReport(archive_path, dialect, counts, files)


def archive_name(at: datetime | None = None) -> str:
    return f"richwell-{(at or now()).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def prune(folder: Path, keep_days: int, at: datetime | None = None) -> list[Path]:
    """Delete archives older than the retention; the newest one is always kept."""
    archives = sorted(folder.glob("richwell-*.tar.gz"))
    cutoff = ((at or now()) - timedelta(days=keep_days)).timestamp()
    removed = [p for p in archives[:-1] if p.stat().st_mtime < cutoff]
    for path in removed:
        path.unlink()
    return removed


def current_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def scheduled_backup(folder: str, folders: dict[str, str], keep_days: int) -> dict[str, Any]:
    """The daily job: one archive, then the retention."""
    report = create(current_url(), folders, Path(folder) / archive_name())
    removed = prune(Path(folder), keep_days)
    return {"archive": report.path.name, "tables": len(report.tables), "files": report.files, "pruned": len(removed)}

