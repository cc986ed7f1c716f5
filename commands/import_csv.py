"""`python app.py import-csv`: a CSV file into a new table of the configured store."""

from __future__ import annotations

from pathlib import Path

import click

from commands import cli, config_from
from data import open_store
from data.csv_import import import_csv


def count_rows(path: Path) -> int:
    """Data lines of the file, for the progress bar (one fast pass over the bytes)."""
    with path.open("rb") as f:
        return max(0, sum(1 for _ in f) - 1)


@cli.command("import-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--table", required=True, help="Table to create (or append to, with --append).")
@click.option("--time-column", required=True, help="Column holding each row's time.")
@click.option("--sep", default=",", show_default=True, help="Field separator, e.g. ';'.")
@click.option("--append", is_flag=True, help="Add the rows to an existing table.")
@click.pass_context
def import_csv_command(
    ctx: click.Context, file: Path, table: str, time_column: str, sep: str, append: bool
) -> None:
    """Import FILE in batches: a bad cell anywhere stops it before anything is written."""
    store = open_store(config_from(ctx))
    try:
        store.create_schema()
        with click.progressbar(length=count_rows(file), label=f"Importing into {table}") as bar:
            written = import_csv(
                store, file, table, time_column, sep, append, lambda n: bar.update(n - bar.pos)
            )
    finally:
        store.close()
    click.echo(f"{written:,} rows imported into '{table}'.")
