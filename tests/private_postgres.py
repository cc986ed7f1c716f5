"""A throwaway PostgreSQL cluster a test may stop and start without disturbing anyone.

Built with the server binaries Debian installs (initdb, pg_ctl) in a temporary
folder, listening on a free loopback port; as root it runs as `postgres`,
because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.ports import free_port


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return found[-1].parent


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._run(
            str(_bin_dir() / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.folder / "log"),
            "-o", f"-h 127.0.0.1 -p {self.port} -k {self.folder}",
            "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(_bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="vigil-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    try:
        cluster._run(
            str(_bin_dir() / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres"
        )
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
