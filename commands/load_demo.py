"""`python app.py load-demo`: (re)generate the demo data in the configured store."""

from __future__ import annotations

import time

import click

from commands import cli, config_from
from data import open_store
from data.demo.load import demo_frames, write_demo
from data.store import Store
from settings import Config


def fill(store: Store, days: float, seed: int, replace: bool) -> None:
    """Generate and write the demo with a progress bar on the terminal."""
    started = time.perf_counter()
    click.echo(f"Generating {days:g} day(s) of demo data (seed {seed})...")
    frames = demo_frames(days, seed)
    total = sum(len(f) for f in frames.values())
    with click.progressbar(length=total, label="Writing demo data", show_pos=True) as bar:
        written = write_demo(store, frames, lambda _table, rows: bar.update(rows), replace)
    elapsed = time.perf_counter() - started
    click.echo(
        f"Demo ready: {sum(written.values()):,} rows in {len(written)} tables, {elapsed:.1f} s."
    )


def fill_if_empty(store: Store, config: Config) -> None:
    """First start: an empty store gets the demo, so the pages show something real."""
    store.create_schema()
    if config.demo_data and store.is_empty():
        click.echo("The store is empty: loading the demo data (set demo_data to false to skip).")
        fill(store, config.demo_days, config.demo_seed, replace=False)


@cli.command("load-demo")
@click.option("--days", type=float, help="Days of simulated data (default: demo_days).")
@click.option("--seed", type=int, help="Simulator seed (default: demo_seed).")
@click.pass_context
def load_demo(ctx: click.Context, days: float | None, seed: int | None) -> None:
    """Replace the demo tables' rows with freshly generated demo data."""
    config = config_from(ctx, demo_days=days, demo_seed=seed)
    store = open_store(config)
    try:
        fill(store, config.demo_days, config.demo_seed, replace=True)
    finally:
        store.close()
