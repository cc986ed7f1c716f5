"""`python app.py migrate`: create or upgrade Vigil's tables in the configured store."""

from __future__ import annotations

import click

from commands import cli, config_from
from data import open_store


@cli.command("migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Bring Vigil's own tables to the current schema (every start does this too)."""
    store = open_store(config_from(ctx))
    try:
        before, after = store.create_schema()
    finally:
        store.close()
    if before == after:
        click.echo(f"Schema already current (revision {after}).")
    else:
        click.echo(f"Schema upgraded from {before or 'nothing'} to revision {after}.")
