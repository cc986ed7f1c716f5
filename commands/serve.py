"""`python app.py serve`: run Vigil on this machine (the default command)."""

from __future__ import annotations

import click

from commands import cli, config_from
from commands.load_demo import fill_if_empty
from data import open_store


@cli.command()
@click.option("--port", type=int, help="Port (default: port_number, or PORT).")
@click.option("--host", help="Address to bind (default: host, or 0.0.0.0 when PORT is set).")
@click.pass_context
def serve(ctx: click.Context, port: int | None, host: str | None) -> None:
    """Serve the dashboard; an empty store is first filled with demo data."""
    from app import create_app

    config = config_from(ctx, port_number=port, host=host)
    store = open_store(config)
    fill_if_empty(store, config)
    app = create_app(config, store)
    click.echo(f"Vigil serves http://{config.host}:{config.port_number}/ (store: {config.backend})")
    app.run(host=config.host, port=config.port_number, debug=False, threaded=True)
