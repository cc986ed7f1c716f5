"""`python app.py prepare-geoms`: raw position readings of a range -> geoms and coordinates."""

from __future__ import annotations

import click

from commands import cli, config_from
from data import open_store
from data.geom_prepare import MAX_DEVICES, MAX_GAP, READINGS, prepare
from data.times import as_utc


@cli.command("prepare-geoms")
@click.option("--environment", required=True, help="Environment id (environments table).")
@click.option("--start", required=True, help="First reading's time, ISO 8601 (UTC by default).")
@click.option("--end", required=True, help="Last reading's time, ISO 8601 (UTC by default).")
@click.option(
    "--max-gap",
    type=float,
    default=MAX_GAP,
    show_default=True,
    help="Seconds of silence that end a device's track (and start a new geom).",
)
@click.pass_context
def prepare_geoms(
    ctx: click.Context, environment: str, start: str, end: str, max_gap: float
) -> None:
    """Turn the raw readings of a range into samples, geoms and coordinates (seed 001),
    streaming in chunks; running it again over the same range writes nothing twice."""
    first, last = as_utc(start), as_utc(end)
    store = open_store(config_from(ctx))
    try:
        store.create_schema()
        devices = len(store.distinct(READINGS, "device_id", limit=MAX_DEVICES))
        span = max((last - first).total_seconds(), 0.0)
        with click.progressbar(
            length=max(int(devices * span), 1), label=f"Preparing geoms of {environment}"
        ) as bar:
            done = prepare(
                store, environment, first, last, max_gap, progress=lambda s: bar.update(int(s))
            )
        click.echo(
            f"{done.readings:,} readings of {done.devices:,} devices: {done.geoms:,} new geoms, "
            f"{done.coordinates:,} coordinates written, {done.skipped:,} readings already prepared."
        )
    finally:
        store.close()
