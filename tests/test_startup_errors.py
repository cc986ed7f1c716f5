"""A Vigil that cannot start says why in one line naming the setting, exits non-zero,
and shows no traceback: through `python app.py serve` and through the production
command (gunicorn.conf.py) alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commands.serve import gunicorn_command
from settings import PROJECT_DIR

#: (case, settings, what the line must name)
CASES = [
    (
        "unreachable PostgreSQL",
        {"backend": "postgresql://postgres@127.0.0.1:1/test"},
        ["'backend'", "VIGIL_BACKEND", "127.0.0.1", "port 1"],
    ),
    (
        "unreachable Redis",
        {"backend": "sqlite:///vigil.db", "redis_url": "redis://127.0.0.1:1/0"},
        ["'redis_url'", "VIGIL_REDIS_URL", "127.0.0.1:1"],
    ),
    (
        "unwritable instance folder",
        {"backend": "sqlite:///instance-is-a-file/vigil.db"},
        ["'backend'", "cannot create the folder", "instance-is-a-file"],
    ),
    (
        "missing secret in production mode",
        {"backend": "sqlite:///vigil.db", "host": "0.0.0.0"},
        ["'secret_key'", "VIGIL_SECRET_KEY", "0.0.0.0"],
    ),
    (
        "auth off in production mode",
        {"backend": "sqlite:///vigil.db", "host": "0.0.0.0", "auth": False},
        ["'auth'", "0.0.0.0"],
    ),
    ("bad config", {"backend": "sqlite:///vigil.db", "port_number": "x"}, ["'port_number'"]),
]
COMMANDS = {
    "serve": lambda config: [sys.executable, "app.py", "--config", str(config), "serve"],
    "gunicorn": lambda config: [sys.executable, *gunicorn_command()],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("case", "settings", "named"), CASES, ids=[c[0] for c in CASES])
def test_one_line_naming_the_setting_and_a_non_zero_exit(
    tmp_path: Path, command: str, case: str, settings: dict, named: list[str]
) -> None:
    (tmp_path / "instance-is-a-file").write_text("a file where the folder should be")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"port_number": 8080, **settings}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "PORT"}
    done = subprocess.run(
        COMMANDS[command](config),
        cwd=PROJECT_DIR,
        env={**env, "VIGIL_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for part in named:
        assert part in lines[0]
    assert "Listening at" not in done.stderr  # it never served
