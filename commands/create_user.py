"""`python app.py create-user NAME --role ROLE`: add an account."""

from __future__ import annotations

import click

from auth import ROLES
from auth.accounts import check_username
from commands import accounts_from, cli, new_password


@cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--random", "random", is_flag=True, help="Make a random password and print it.")
@click.pass_context
def create_user(ctx: click.Context, username: str, role: str, random: bool) -> None:
    """Add a user (viewer reads, labeller also labels, admin also manages)."""
    check_username(username)
    with accounts_from(ctx) as accounts:
        if accounts.find(username, fresh=True) is not None:
            raise click.ClickException(f"user '{username}' already exists")
        account = accounts.create(username, new_password(random), role)
        accounts.record("user-create", "cli", "cli", f"{account.username} as {role}")
    click.echo(f"User {account.username} ({role}) created.")
