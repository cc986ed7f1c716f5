"""Battery alarms (seed 003): a reading against the limits in config.

Over- and under-temperature, low state of charge and state of health below
its limit. A reading missing a value raises no alarm for it: the card shows
the gap instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Limits:
    max_temperature: float = 45.0
    min_temperature: float = 0.0
    min_state_of_charge: float = 20.0
    min_state_of_health: float = 80.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            max_temperature=config["battery_max_temperature"],
            min_temperature=config["battery_min_temperature"],
            min_state_of_charge=config["battery_min_state_of_charge"],
            min_state_of_health=config["battery_min_state_of_health"],
        )

    def rules(self) -> list[Rule]:
        return [
            Rule("over-temperature", "temperature", self.max_temperature, above=True, unit="°C"),
            Rule("under-temperature", "temperature", self.min_temperature, above=False, unit="°C"),
            Rule("low charge", "state_of_charge", self.min_state_of_charge, above=False, unit="%"),
            Rule("low health", "state_of_health", self.min_state_of_health, above=False, unit="%"),
        ]


@dataclass(frozen=True)
class Rule:
    kind: str
    column: str
    limit: float
    above: bool  # True: values above the limit alarm; False: values below it
    unit: str

    def broken(self, values: np.ndarray) -> np.ndarray:
        """True where a value breaks the rule (never where it is missing)."""
        values = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            return values > self.limit if self.above else values < self.limit


@dataclass(frozen=True)
class Alarm:
    kind: str
    column: str
    value: float
    limit: float
    message: str


def alarms(reading: Mapping[str, Any], limits: Limits) -> list[Alarm]:
    """The alarms one reading raises, in the order of `Limits.rules`."""
    raised = []
    for rule in limits.rules():
        value = reading.get(rule.column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if rule.broken(np.array([value]))[0]:
            side = "above" if rule.above else "below"
            raised.append(
                Alarm(
                    rule.kind,
                    rule.column,
                    float(value),
                    rule.limit,
                    f"{rule.kind}: {rule.column.replace('_', ' ')} {value:.1f} {rule.unit} "
                    f"is {side} {rule.limit:g} {rule.unit}",
                )
            )
    return raised


def spans(times: Sequence[Any] | pd.DatetimeIndex, broken: np.ndarray) -> list[tuple[Any, Any]]:
    """(first, last) time of each run of consecutive True values, for shading a chart."""
    broken = np.asarray(broken, dtype=bool)
    if not broken.any():
        return []
    times = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    edges = np.diff(np.concatenate([[0], broken.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(times[a], times[b]) for a, b in zip(starts, stops, strict=True)]
