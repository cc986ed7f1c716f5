"""`python app.py reset-password NAME`: set a new password (ends the user's sessions)."""

from __future__ import annotations

import click

from commands import accounts_from, cli, new_password


@cli.command("reset-password")
@click.argument("username")
@click.option("--random", "random", is_flag=True, help="Make a random password and print it.")
@click.pass_context
def reset_password(ctx: click.Context, username: str, random: bool) -> None:
    """Set a user's password; sessions opened with the old one end."""
    with accounts_from(ctx) as accounts:
        if accounts.find(username, fresh=True) is None:
            raise click.ClickException(f"no user '{username}'")
        accounts.change(username, password=new_password(random))
        accounts.record("password-reset", "cli", "cli", username)
    click.echo(f"Password of {username} changed.")
