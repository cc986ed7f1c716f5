"""`python app.py settings`: the configuration reference, from the one list of settings."""

from __future__ import annotations

import json

import click

from commands import cli
from settings import ENV_PREFIX, REQUIRED, SETTINGS


def settings_table() -> str:
    """Markdown table of every setting; the README embeds this output."""
    lines = [
        "| key | type | default | environment variable | meaning |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "required" if s.default is REQUIRED else f"`{json.dumps(s.default)}`"
        env = f"`{ENV_PREFIX}{s.name.upper()}`"
        lines.append(f"| `{s.name}` | {s.describe_type()} | {default} | {env} | {s.help} |")
    return "\n".join(lines)


@cli.command("settings")
def settings_command() -> None:
    """Print every setting with its type, default and variable (Markdown)."""
    click.echo(settings_table())
