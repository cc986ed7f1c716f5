"""`python app.py export-labels`: every anomaly's label, or the whole history, to a file."""

from __future__ import annotations

from pathlib import Path

import click

from commands import cli, config_from
from data import open_store
from data.label_export import FORMATS, label_frame, write_labels


@cli.command("export-labels")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write (replaced if it exists).",
)
@click.option("--history", is_flag=True, help="Every label event, not only each anomaly's latest.")
@click.pass_context
def export_labels(ctx: click.Context, fmt: str, out: Path, history: bool) -> None:
    """Write the labels analysts gave, with each anomaly's table, entity, span and score."""
    store = open_store(config_from(ctx))
    try:
        store.create_schema()
        frame = label_frame(store, history)
    finally:
        store.close()
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("wb") as f:
            write_labels(frame, fmt, f)
        partial.replace(out)  # a reader never sees half a file
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
    one = len(frame) == 1
    if history:
        what = "label event" if one else "label events"
    else:
        what = "labelled anomaly" if one else "labelled anomalies"
    click.echo(f"{len(frame):,} {what} written to {out} ({fmt}).")
