"""`python app.py revoke-token TOKEN_OR_ID`: refuse a bearer token from now on."""

from __future__ import annotations

import click

from commands import accounts_from, cli


@cli.command("revoke-token")
@click.argument("token")
@click.pass_context
def revoke_token(ctx: click.Context, token: str) -> None:
    """Revoke a token (the token itself, or the id create-token printed)."""
    with accounts_from(ctx) as accounts:
        row = accounts.revoke_token(token)
        accounts.record("token-revoke", "cli", "cli", row["token_id"])
    click.echo(f"Token {row['token_id']} of {row['username']} revoked.")
