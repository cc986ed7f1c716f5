"""Docs that cannot drift: every setting, variable and command is in the README."""

from __future__ import annotations

import pytest

from commands import cli
from commands.settings_reference import REFERENCE, configuration_reference, settings_table
from settings import ENV_PREFIX, PROJECT_DIR, SETTINGS

README = (PROJECT_DIR / "README.md").read_text()


def test_readme_starts_with_the_two_commands() -> None:
    blocks = README.split("```")
    assert "pip install -r requirements.txt" in blocks[1] and "app.py" in blocks[1]
    assert blocks[3].strip().endswith("./scripts/test")


def test_readme_holds_the_current_settings_table() -> None:
    assert settings_table() in README, "run `python app.py settings` and paste it into README.md"


def test_the_configuration_reference_is_current() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == configuration_reference(), (
        "run `python app.py settings --doc`"
    )


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_and_variable_is_documented(setting) -> None:
    assert f"`{setting.name}`" in README
    assert f"{ENV_PREFIX}{setting.name.upper()}" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented(name: str) -> None:
    assert f"`{name}`" in README
