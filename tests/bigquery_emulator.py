"""The BigQuery emulator for the tests: bqemulator from .venv-bq, once per session.

scripts/bq-emulator-setup installs it (its own venv, so its
google-cloud-bigquery-storage does not change how the app's client reads
results). The session fixture starts it on free 127.0.0.1 ports, waits for
GET /healthz, points BIGQUERY_EMULATOR_HOST at it and stops it (by its pid) at
the end. It has no reset endpoint, so every test gets a dataset of its own.
When it cannot be started the BigQuery tests fail, saying why: never a skip.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_RETRY

from tests.ports import free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXECUTABLE = PROJECT_DIR / ".venv-bq" / "bin" / "bqemulator"
PROJECT = "test-proj"
START_SECONDS = 60.0
#: Test calls give up quickly: the emulator answers some bad requests with 500,
#: which the client would otherwise retry for minutes.
RETRY = DEFAULT_RETRY.with_deadline(10.0)


class Emulator:
    """A running bqemulator: its REST endpoint, a client, datasets made for tests."""

    def __init__(self, log_path: Path, data_dir: Path | None = None):
        if not EXECUTABLE.exists():
            pytest.fail(
                f"BigQuery emulator not installed ({EXECUTABLE} is missing): "
                "run scripts/bq-emulator-setup (scripts/test does)",
                pytrace=False,
            )
        self.log_path = log_path
        #: With a data folder the emulator keeps its tables across a restart.
        self.data_dir = data_dir
        self.rest_port, self.grpc_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.rest_port}"
        self.process: subprocess.Popen | None = None
        self.start()
        self.client = bigquery.Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )

    def start(self) -> None:
        """Start the emulator (again, on the same ports) and wait until it answers."""
        env = {**os.environ, "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(EXECUTABLE),
                    "start",
                    "--rest-host",
                    "127.0.0.1",
                    "--rest-port",
                    str(self.rest_port),
                    "--grpc-host",
                    "127.0.0.1",
                    "--grpc-port",
                    str(self.grpc_port),
                    "--project",
                    PROJECT,
                    "--log-level",
                    "warning",
                    *(["--persistent", "--data-dir", str(self.data_dir)] if self.data_dir else []),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail(f"exited with code {self.process.returncode} while starting")
            try:
                if requests.get(f"{self.endpoint}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        self._fail(f"did not answer GET /healthz within {START_SECONDS:.0f} s")

    def stop(self) -> None:
        """Stop the emulator's process group (it was started in a session of its own)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def _fail(self, what: str) -> None:
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-15:]
        pytest.fail(
            f"BigQuery emulator {EXECUTABLE} {what}; its log ({self.log_path}) ends:\n"
            + "\n".join(tail),
            pytrace=False,
        )

    @contextmanager
    def dataset(self) -> Iterator[str]:
        """A fresh dataset, deleted afterwards; yields the backend URL using it."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.client.create_dataset(name, retry=RETRY, timeout=30)
        try:
            yield f"bigquery://{PROJECT}/{name}"
        finally:
            with suppress(Exception):  # a stopped emulator has forgotten it anyway
                self.client.delete_dataset(
                    name, delete_contents=True, not_found_ok=True, retry=RETRY, timeout=30
                )


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The emulator, with BIGQUERY_EMULATOR_HOST pointing Vigil's client at it."""
    emulator = Emulator(tmp_path_factory.mktemp("bqemulator") / "bqemulator.log")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIGQUERY_EMULATOR_HOST", emulator.endpoint)
        try:
            yield emulator
        finally:
            emulator.client.close()
            emulator.stop()
