"""Sensor health (seed 004), the backend-neutral part: what the store answers and how.

The questions: which share of the sensors sent no heartbeat for more than
`silence_minutes`, the mean interval between consecutive heartbeats (per
sensor and fleet-wide), the mean lifespan (first to last heartbeat) of the
sensors that stopped, and how the intervals are distributed.

Asked of the raw heartbeats they cost a window function over every row (the
seed's own query; 86 million rows for 10,000 sensors beating every 5 minutes
for 30 days). So every write of heartbeats also keeps a summary current, in
the same transaction, in two steps. First per sensor and UTC day: the beats
and the first and last of them (`heartbeat_days`), and the intervals inside
the day counted per bin (`heartbeat_gaps`); a write recounts only the
sensors and days it touched, from their heartbeats. Then per sensor, from its
day rows: beats, first and last (`heartbeat_sensors`) and its intervals per
bin, the one across each midnight included (`heartbeat_bins`). The mean
interval of a sensor is (last - first) / (beats - 1), the intervals
telescoping. Every answer is exact, and the page reads a row or two per
sensor instead of 8,640.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from errors import InvalidInput

DAY = 86_400
#: Upper edges in seconds of the interval histogram's bins: bin i holds intervals in
#: [GAP_EDGES[i-1], GAP_EDGES[i]) (0 below the first), the last bin everything from a
#: day on. Changing them needs `python app.py rollup --table heartbeats`.
GAP_EDGES: tuple[int, ...] = (
    5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800,
    2700, 3600, 5400, 7200, 10800, 21600, 43200, 86400,
)  # fmt: skip
#: Most sensors one list of the answer holds.
MAX_LISTED = 1_000


@dataclass(frozen=True)
class SensorStat:
    sensor_id: str
    first: datetime | None  # None: never sent a heartbeat
    last: datetime | None
    beats: int
    mean_interval: float | None  # seconds; None below two beats
    silent: bool


@dataclass(frozen=True)
class GapBin:
    lo: float  # seconds
    hi: float | None  # None: open-ended
    count: int

    @property
    def label(self) -> str:
        if self.hi is None:
            return f"≥ {duration_text(self.lo)}"
        return f"{duration_text(self.lo)}–{duration_text(self.hi)}"


@dataclass(frozen=True)
class SensorHealth:
    """The fleet's health at `now` (or one sensor's, when the question named one)."""

    now: datetime
    silence_minutes: float
    sensors: int
    silent: int
    #: Silent sensors that did send heartbeats before: their lifespan is known.
    stopped: int
    #: Seconds between consecutive heartbeats over every interval of every sensor.
    mean_interval: float | None
    #: Seconds from first to last heartbeat, averaged over the stopped sensors.
    mean_lifespan: float | None
    #: Silent sensors, the most recently heard first (never heard last).
    silent_sensors: list[SensorStat]
    #: Sensors with the longest mean interval first.
    slowest: list[SensorStat]
    histogram: list[GapBin]

    @property
    def share_silent(self) -> float | None:
        return self.silent / self.sensors if self.sensors else None


#: (sensor_id, first, last, beats, mean interval) as a store's query returns a sensor.
Row = Sequence[Any]


def answer(
    now: datetime,
    silence_minutes: float,
    totals: Sequence[Any],
    silent_rows: Iterable[Row],
    slowest_rows: Iterable[Row],
    bins: dict[int, int],
) -> SensorHealth:
    """The SensorHealth from a store's results; `totals` are (sensors, silent, stopped,
    mean lifespan, mean interval)."""
    cutoff = now.timestamp() - silence_minutes * 60

    def stat(row: Row) -> SensorStat:
        sensor_id, first, last, beats, interval = row
        return SensorStat(
            sensor_id=str(sensor_id),
            first=_time(first),
            last=_time(last),
            beats=int(beats),
            mean_interval=_number(interval),
            silent=last is None or float(last) < cutoff,
        )

    sensors, silent, stopped, lifespan, interval = totals
    return SensorHealth(
        now=now,
        silence_minutes=float(silence_minutes),
        sensors=int(sensors),
        silent=int(silent or 0),
        stopped=int(stopped or 0),
        mean_interval=_number(interval),
        mean_lifespan=_number(lifespan),
        silent_sensors=[stat(r) for r in silent_rows],
        slowest=[stat(r) for r in slowest_rows],
        histogram=histogram(bins),
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _time(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)


def bin_of(seconds: float) -> int:
    """The histogram bin of an interval, as the stores' SQL computes it."""
    return next((i for i, edge in enumerate(GAP_EDGES) if seconds < edge), len(GAP_EDGES))


def histogram(counts: dict[int, int]) -> list[GapBin]:
    """Every bin from the first to the last one holding intervals, empty ones included."""
    used = [b for b, n in counts.items() if n]
    if not used:
        return []
    edges = (0, *GAP_EDGES)
    return [
        GapBin(
            float(edges[b]),
            float(edges[b + 1]) if b + 1 < len(edges) else None,
            int(counts.get(b, 0)),
        )
        for b in range(min(used), max(used) + 1)
    ]


def check_question(silence_minutes: float, limit: int) -> None:
    if isinstance(silence_minutes, bool) or not isinstance(silence_minutes, int | float):
        raise InvalidInput("silence_minutes must be a number")
    if not silence_minutes > 0:
        raise InvalidInput("silence_minutes must be above 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LISTED:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_LISTED}")


def duration_text(seconds: float) -> str:
    """30 s, 1.5 min, 2 h, 3.2 d: short and honest about fractions."""
    for unit, size in (("d", DAY), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"
