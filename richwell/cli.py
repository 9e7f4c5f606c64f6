"""Flask commands: create-admin, seed-demo."""
from __future__ import annotations

import click
from flask import Flask

from richwell.services.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--first-name", default="System")
    @click.option("--last-name", default="Administrator")
    @click.password_option()
    def create_admin(email: str, first_name: str, last_name: str, password: str):
        """Create an administrator account."""
        from richwell.models import Role
        from richwell.services import accounts

        try:
            user = accounts.create_user(email=email, first_name=first_name, last_name=last_name,
                                        role=Role.ADMIN, password=password)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Administrator {user.email} created.")

    @app.cli.command("seed-demo")
    @click.option("--password", default="richwell-demo", show_default=True,
                  help="Password for every demo account.")
    def seed_demo(password: str):
        """Fill the database with demo data (idempotent) and print the logins."""
        from richwell.seed import run

        logins = run(password)
        click.echo("Demo logins (password: %s):" % password)
        for role, login in logins:
            click.echo(f"  {role:<16} {login}")
