"""`python app.py serve`: run Vigil on this machine (the default command).

It fills an empty store with the demo, then becomes the production server:
gunicorn with gunicorn.conf.py, so a laptop runs what Cloud Run runs.
"""

from __future__ import annotations

import os
import sys

import click

from commands import cli, config_from
from commands.load_demo import fill_if_empty
from data import open_store
from serving.startup import check_startup
from settings import PROJECT_DIR


@cli.command()
@click.option("--port", type=int, help="Port (default: port_number, or PORT).")
@click.option("--host", help="Address to bind (default: host, or 0.0.0.0 when PORT is set).")
@click.pass_context
def serve(ctx: click.Context, port: int | None, host: str | None) -> None:
    """Serve the dashboard (gunicorn); an empty store is first filled with demo data."""
    config = config_from(ctx, port_number=port, host=host)
    check_startup(config)
    store = open_store(config)
    try:
        fill_if_empty(store, config)
    finally:
        store.close()
    if config_path := (ctx.find_root().obj or {}).get("config_path"):
        os.environ["VIGIL_CONFIG"] = os.path.abspath(config_path)
    click.echo(f"Vigil serves http://{config.host}:{config.port_number}/ (store: {config.backend})")
    sys.stdout.flush()
    os.chdir(PROJECT_DIR)
    os.execv(
        sys.executable, [sys.executable, *gunicorn_command(f"{config.host}:{config.port_number}")]
    )


def gunicorn_command(bind: str | None = None) -> list[str]:
    """The production command's arguments (after the interpreter), as README gives it."""
    return [
        "-m",
        "gunicorn",
        "--config",
        "gunicorn.conf.py",
        *(["--bind", bind] if bind else []),
        "app:server",
    ]
