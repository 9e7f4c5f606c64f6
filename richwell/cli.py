"""Flask commands: create-admin, seed-demo, jobs (status, failed, retry, purge-failed, sweep)."""
from __future__ import annotations

from datetime import datetime

import click
from flask import Flask

from richwell.services.platform.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--first-name", default="System")
    @click.option("--last-name", default="Administrator")
    @click.password_option()
    def create_admin(email: str, first_name: str, last_name: str, password: str):
        """Create an administrator account."""
        from richwell.models import Role
        from richwell.services.platform import accounts

        try:
            user = accounts.create_user(email=email, first_name=first_name, last_name=last_name,
                                        role=Role.ADMIN, password=password)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Administrator {user.email} created.")

    @app.cli.command("seed-demo")
    @click.option("--password", default=None, help="Password for the demo accounts [richwell-demo].")
    @click.option("--force-production", is_flag=True,
                  help="Seed a production database anyway: new demo accounts only get --password; "
                       "accounts that already exist keep theirs.")
    def seed_demo(password: str | None, force_production: bool):
        """Fill the database with demo data (idempotent) and print the logins."""
        from richwell.seed import run

        production = app.config["RICHWELL_ENV"] == "production"
        if production and not force_production:
            raise click.ClickException(
                "seed-demo refuses to run in production: it creates demo accounts with a known "
                "password. Use --force-production (with --password) if you really mean it.")
        if production and not password:
            raise click.ClickException("In production give the new demo accounts a password: --password P.")
        password = password or "richwell-demo"
        # In production nobody's password changes, the admin's included (issue 15).
        logins = run(password, keep_passwords=production)
        click.echo("Demo logins (password: %s%s):" % (
            password, "; accounts that existed before kept their own" if production else ""))
        for role, login in logins:
            click.echo(f"  {role:<16} {login}")

    register_jobs(app)
    register_backup(app)


def register_backup(app: Flask) -> None:
    backup_cli = click.Group("backup", help="Back up, verify and restore the database and the files.")

    def _folders() -> dict[str, str]:
        return {"uploads": app.config["UPLOAD_FOLDER"], "receipts": app.config["RECEIPT_FOLDER"]}

    @backup_cli.command("create")
    @click.option("--output", type=click.Path(dir_okay=False),
                  help="Archive path (default: BACKUP_FOLDER/richwell-<time>.tar.gz).")
    def create(output: str | None):
        """Write one archive: database, uploads, receipts, and a manifest of checksums and row counts."""
        from pathlib import Path

        from richwell.services.platform import backups

        target = Path(output) if output else Path(app.config["BACKUP_FOLDER"]) / backups.archive_name()
        try:
            report = backups.create(backups.current_url(), _folders(), target)
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Backup written: {report.path} ({report.dialect}, {len(report.tables)} tables, "
                   f"{sum(report.tables.values())} rows, {report.files} files)")

    @backup_cli.command("verify")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    def verify(archive: str):
        """Check every checksum and that the database part is readable."""
        from pathlib import Path

        from richwell.services.platform import backups

        try:
            manifest = backups.verify(Path(archive))
        except backups.BackupError as error:
            raise click.ClickException(f"{archive} is NOT usable: {error}") from None
        click.echo(f"{archive} is intact: {manifest['dialect']} backup of {manifest['created_at']}, "
                   f"{len(manifest['tables'])} tables, {len(manifest['members']) - 1} files")

    @backup_cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    @click.option("--database-url", help="Restore into this database (default: the app's DATABASE_URL).")
    @click.option("--force", is_flag=True, help="Replace everything in a database that is not empty.")
    def restore(archive: str, database_url: str | None, force: bool):
        """Restore an archive into an empty database (verified first; refuses a non-empty one)."""
        from pathlib import Path

        from richwell.services.platform import backups

        url = database_url or backups.current_url()
        try:
            report = backups.restore(Path(archive), url, _folders(), force=force)
        except backups.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Restored {sum(report.tables.values())} rows in {len(report.tables)} tables and "
                   f"{report.files} files; row counts match the manifest.")

    app.cli.add_command(backup_cli)


def _when(value: datetime | None) -> str:
    from richwell.services.platform.clock import to_manila

    local = to_manila(value) if value else None
    return local.strftime("%Y-%m-%d %H:%M Manila") if local else "—"


def register_jobs(app: Flask) -> None:
    jobs_cli = click.Group("jobs", help="Watch and steer the background queue.")

    @jobs_cli.command("status")
    def status():
        """Queue length, scheduled count, running runs, last run of each periodic job."""
        from richwell.services.platform import jobs

        queue = jobs.queue_state()
        if queue.reachable:
            click.echo(f"Queue: {queue.pending} waiting, {queue.scheduled} scheduled (retries, delays)")
        else:
            click.echo(f"Queue: UNREACHABLE ({queue.error})")
        running = jobs.running_runs()
        click.echo(f"Running or waiting runs: {len(running)}")
        for run in running:
            click.echo(f"  #{run.id} {run.task} {run.outcome} since {_when(run.started_at or run.created_at)}")
        click.echo(f"Failed runs: {jobs.failed_count()}")
        click.echo("Periodic jobs:")
        for state in jobs.periodic_states():
            last = state.last
            line = (f"  {state.name:<32} {state.schedule:<45} "
                    + (f"last {last.outcome} {_when(last.started_at or last.created_at)}" if last else "never ran"))
            if state.overdue:
                line += "  WARNING: no success within twice its period"
            click.echo(line)

    @jobs_cli.command("failed")
    def failed():
        """List failed runs, newest first."""
        from richwell.services.platform import jobs

        runs = jobs.failed_runs()
        if not runs:
            click.echo("No failed runs.")
        for run in runs:
            error = (run.error or "").strip().splitlines()
            click.echo(f"#{run.id} {run.task} args={run.args} attempt {run.attempt} "
                       f"{_when(run.finished_at)}: {error[-1] if error else ''}")

    @jobs_cli.command("retry")
    @click.argument("run_id", required=False, type=int)
    @click.option("--all", "retry_all", is_flag=True, help="Queue every failed run again.")
    def retry(run_id, retry_all):
        """Queue a failed run again (RUN_ID) or every failed run (--all)."""
        from richwell.services.platform import jobs

        if (run_id is None) == (not retry_all):
            raise click.UsageError("Give one failed run's number, or --all.")
        try:
            count = jobs.retry_failed(None if retry_all else run_id)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Queued again: {count}.")

    @jobs_cli.command("purge-failed")
    def purge_failed():
        """Delete every failed run."""
        from richwell.services.platform import jobs

        click.echo(f"Deleted {jobs.purge_failed()} failed runs.")

    @jobs_cli.command("sweep")
    def sweep():
        """Queue again the runs left PENDING or stale (what the 10-minute sweep does)."""
        from richwell.services.platform import jobs

        click.echo(f"Queued again: {jobs.requeue_stale()}.")

    app.cli.add_command(jobs_cli)
