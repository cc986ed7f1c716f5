"""`python app.py rollup`: rebuild the M4 pyramid that makes long ranges fast."""

from __future__ import annotations

import click

from commands import cli, config_from
from data import open_store


@cli.command("rollup")
@click.option("--table", "tables", multiple=True, help="Table to rebuild (default: all tables).")
@click.pass_context
def rollup_command(ctx: click.Context, tables: tuple[str, ...]) -> None:
    """Rebuild rollups of tables filled by other programs or by older Vigil versions."""
    store = open_store(config_from(ctx))
    try:
        store.create_schema()
        for table in tables or store.tables():
            with click.progressbar(length=0, label=f"Rolling up {table}", show_pos=True) as bar:
                rows = store.rebuild_rollups(table, lambda done: bar.update(done - bar.pos))
            if rows:
                click.echo(f"{table}: {rows:,} rows rolled up.")
    finally:
        store.close()
