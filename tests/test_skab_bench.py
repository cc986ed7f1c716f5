"""bench/skab.py on the real SKAB files: the protocol check and the target.

SKAB is GPL-3.0 and is never copied into Vigil: these tests read it from
../shared/data/skab and skip when it is not there.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from settings import PROJECT_DIR

SKAB = PROJECT_DIR.parent / "shared" / "data" / "skab"

pytestmark = pytest.mark.skipif(
    not SKAB.is_dir(), reason=f"SKAB data not found at {SKAB} (read from ../shared, never copied)"
)


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bench/skab.py", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_published_isolation_forest_reproduces_and_the_best_detector_meets_the_target() -> None:
    result = bench("--detectors", "isolation-forest-skab,window-ensemble")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "labelled files" in out and "Conv-AE                  0.78   13.55   28.02" in out
    assert re.search(r"protocol check: isolation-forest-skab F1=0\.219 FAR=3\.04% MAR=87\.36%", out)
    assert ": same" in out
    best = re.search(r"^best: window-ensemble F1=(\S+) FAR=(\S+)% MAR=(\S+)%$", out, re.M)
    assert best, out
    f1, far, mar = map(float, best.groups())
    assert f1 >= 0.80 and far <= 15.0 and mar < 28.02, out  # Conv-AE misses 28.02 %
    assert out.rstrip().splitlines()[-1].startswith("best: ")


def test_an_unknown_detector_stops_before_reading_anything() -> None:
    result = bench("--detectors", "magic")
    assert result.returncode == 2 and "unknown detector 'magic'" in result.stderr
    assert "Traceback" not in result.stderr
