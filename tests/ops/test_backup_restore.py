"""Backup -> verify -> restore into a scratch database: every table's rows, the ledger's sums
and the audit trail come back equal. SQLite always; PostgreSQL (pg_dump/pg_restore) with
TEST_DATABASE_URL, restoring into a scratch database created and dropped here."""
from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from richwell.extensions import db
from richwell.services.platform import backups
from tests.factories import make_enrollment, make_student, pay

LEDGER = "SELECT kind, count(*), sum(amount) FROM payments GROUP BY kind ORDER BY kind"
BUCKETS = "SELECT count(*), sum(required), sum(paid) FROM month_buckets"
AUDIT = "SELECT id, actor_id, action, target_type, target_id FROM audit_entries ORDER BY id"


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the same kind as the test database, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _figures(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {"ledger": [tuple(map(str, r)) for r in conn.execute(text(LEDGER))],
                    "buckets": [tuple(map(str, r)) for r in conn.execute(text(BUCKETS))],
                    "audit": [tuple(r) for r in conn.execute(text(AUDIT))]}
    finally:
        engine.dispose()


@pytest.fixture
def school_with_money(app, tmp_path):
    enrollment = make_enrollment(make_student())
    pay(enrollment, "1500.00")
    pay(enrollment, "250.50", method="GCASH")
    db.session.commit()
    folders = {"uploads": str(tmp_path / "uploads"), "receipts": str(tmp_path / "receipts")}
    Path(folders["uploads"], "2026").mkdir(parents=True)
    Path(folders["uploads"], "2026", "form138.pdf").write_bytes(b"%PDF-1.4 transcript of records")
    Path(folders["receipts"]).mkdir()
    Path(folders["receipts"], "OR-000001.pdf").write_bytes(b"%PDF-1.4 receipt")
    return folders


def test_backup_then_restore_gives_back_every_row_sum_and_audit_entry(app, database_url, scratch_url,
                                                                      school_with_money, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    report = backups.create(database_url, school_with_money, archive)
    assert report.tables["payments"] == 2 and report.tables["audit_entries"] > 0
    assert report.files == 2
    manifest = backups.verify(archive)
    assert manifest["tables"] == backups.row_counts(db.engine)

    restored_folders = {"uploads": str(tmp_path / "r-uploads"), "receipts": str(tmp_path / "r-receipts")}
    restored = backups.restore(archive, scratch_url, restored_folders)

    assert restored.tables == backups.row_counts(db.engine)  # every table, row for row
    before, after = _figures(database_url), _figures(scratch_url)
    assert after == before and after["ledger"] and after["audit"]
    assert Path(restored_folders["uploads"], "2026", "form138.pdf").read_bytes() == b"%PDF-1.4 transcript of records"
    assert Path(restored_folders["receipts"], "OR-000001.pdf").exists()

    # A second restore into the now non-empty database is refused, and changes nothing.
    with pytest.raises(backups.BackupError, match="not empty"):
        backups.restore(archive, scratch_url, {"uploads": str(tmp_path / "x"), "receipts": str(tmp_path / "y")})
    assert _figures(scratch_url) == before


def _truncated(archive: Path, tmp_path: Path) -> Path:
    broken = tmp_path / "truncated.tar.gz"
    broken.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return broken


def _tampered(archive: Path, tmp_path: Path) -> Path:
    """Same members, one receipt's bytes changed: the checksum must catch it."""
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(unpacked, filter="data")
    Path(unpacked, "receipts", "OR-000001.pdf").write_bytes(b"%PDF-1.4 forged receipt")
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(tampered, "w:gz") as tar:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(unpacked).as_posix())
    shutil.rmtree(unpacked)
    return tampered


@pytest.mark.parametrize("damage", [_truncated, _tampered])
def test_a_damaged_archive_is_refused_and_nothing_changes(app, database_url, scratch_url, school_with_money,
                                                          tmp_path, damage):
    archive = tmp_path / "backup.tar.gz"
    backups.create(database_url, school_with_money, archive)
    broken = damage(archive, tmp_path)
    with pytest.raises(backups.BackupError):
        backups.verify(broken)
    target_folders = {"uploads": str(tmp_path / "r-uploads"), "receipts": str(tmp_path / "r-receipts")}
    with pytest.raises(backups.BackupError):
        backups.restore(broken, scratch_url, target_folders)
    engine = create_engine(scratch_url)
    try:
        assert backups.row_counts(engine) == {}  # still empty: no table was created
    finally:
        engine.dispose()
    assert not Path(target_folders["uploads"]).exists()


def test_retention_keeps_the_newest_archive(tmp_path):
    import os
    import time

    old = [tmp_path / f"richwell-2026010{i}T000000Z.tar.gz" for i in range(1, 4)]
    for path in old:
        path.write_bytes(b"x")
        os.utime(path, (time.time() - 40 * 86400,) * 2)
    removed = backups.prune(tmp_path, keep_days=14)
    assert sorted(removed) == sorted(old[:-1])
    assert old[-1].exists()  # the newest stays even when it is past the retention
