"""`python app.py detect`: propose anomalies for a range, learnt from a normal period."""

from __future__ import annotations

import click

from analytics.detect import BEST, DETECTORS
from commands import cli, config_from
from data import open_store
from data.detection import DetectionRequest, parse_span, run_detection

#: Steps of the progress bar; the run reports shares of 1.
BAR_STEPS = 1000


@cli.command("detect")
@click.option("--table", required=True, help="Table to read.")
@click.option("--columns", required=True, help="Numeric columns, comma-separated: C1,C2.")
@click.option("--train", required=True, help="Normal period to learn from: START..END.")
@click.option("--range", "span", required=True, help="Period to look for anomalies in: START..END.")
@click.option(
    "--detector",
    type=click.Choice(list(DETECTORS)),
    default=BEST,
    show_default=True,
    help="Which detector (see README: Detectors).",
)
@click.option(
    "--entity",
    "entities",
    multiple=True,
    help="Only this entity (repeatable); default: every entity, each with its own model.",
)
@click.pass_context
def detect_command(
    ctx: click.Context,
    table: str,
    columns: str,
    train: str,
    span: str,
    detector: str,
    entities: tuple[str, ...],
) -> None:
    """Fit the detector on --train and write the anomalies it finds in --range.

    Times are ISO 8601 (UTC unless they name a zone). Consecutive anomalous
    rows become one anomaly; one found by an earlier run is not written again.
    """
    request = DetectionRequest(
        table=table,
        columns=tuple(c.strip() for c in columns.split(",") if c.strip()),
        train=parse_span(train, "training range"),
        span=parse_span(span, "range"),
        detector=detector,
        entities=entities,
    )
    store = open_store(config_from(ctx))
    try:
        store.create_schema()
        with click.progressbar(length=BAR_STEPS, label=f"Detecting with {detector}") as bar:
            result = run_detection(
                store, request, lambda done: bar.update(round(done * BAR_STEPS) - bar.pos)
            )
    finally:
        store.close()
    click.echo(
        f"{result.found} anomal{'y' if result.found == 1 else 'ies'} found in {result.rows:,} "
        f"rows of {result.entities} entit{'y' if result.entities == 1 else 'ies'}: "
        f"{len(result.written)} written, {result.existing} already there."
    )
