"""The command line: `python app.py [COMMAND]`.

Each module in this package adds its commands to `cli` with `@cli.command()`;
adding a file adds a command, nothing else changes. Without a command,
`serve` runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from errors import VigilError
from settings import Config, load_config

if TYPE_CHECKING:
    from auth.accounts import Accounts


class VigilGroup(click.Group):
    """Turns Vigil's errors into one readable line and exit code 1, no traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VigilError as exc:
            raise click.ClickException(exc.message) from None


@click.group(cls=VigilGroup, invoke_without_command=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="VIGIL_CONFIG",
    help="Settings file (default: config.json beside app.py).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Vigil: watch machines, batteries and sensors; review and label anomalies."""
    ctx.obj = {"config_path": config_path}
    if ctx.invoked_subcommand is None:
        from commands.serve import serve

        ctx.invoke(serve)


def config_from(ctx: click.Context, **overrides: object) -> Config:
    """The validated config for this invocation, with CLI flags on top."""
    path = (ctx.find_root().obj or {}).get("config_path")
    return load_config(path, overrides={k: v for k, v in overrides.items() if v is not None})


@contextmanager
def accounts_from(ctx: click.Context) -> Iterator[Accounts]:
    """The accounts of the configured store, signing tokens with the server's key."""
    from auth.accounts import Accounts
    from auth.secret import secret_key
    from data import open_store

    config = config_from(ctx)
    store = open_store(config)
    try:
        store.create_schema()
        yield Accounts(store, secret_key(config))
    finally:
        store.close()


def new_password(random: bool) -> str:
    """A password typed twice (hidden), or with `random` a random one printed once."""
    from auth.passwords import random_password

    if random:
        password = random_password()
        click.echo(f"Password (shown this once): {password}")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
