"""`python app.py create-token NAME`: a bearer token for the ingest API and websockets."""

from __future__ import annotations

import click

from auth.tokens import DEFAULT_DAYS
from commands import accounts_from, cli


@cli.command("create-token")
@click.argument("username")
@click.option("--days", type=float, default=DEFAULT_DAYS, show_default=True, help="Lifetime.")
@click.option("--note", default="", help="What the token is for (shown in the admin page).")
@click.pass_context
def create_token(ctx: click.Context, username: str, days: float, note: str) -> None:
    """Print a signed, expiring token acting as USERNAME (with USERNAME's role)."""
    with accounts_from(ctx) as accounts:
        token, claims = accounts.issue_token(username, days, note)
        accounts.record("token-create", "cli", "cli", f"{claims.token_id} for {username}")
    click.echo(token)
    click.echo(
        f"id {claims.token_id}, expires {claims.expires:%Y-%m-%d %H:%M} UTC "
        "(revoke: python app.py revoke-token ID)",
        err=True,
    )
