"""The detectors of analytics/detect.py on synthetic plant data (no I/O, no SKAB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

from analytics.detect import BEST, DETECTORS, make_detector
from analytics.detector import smooth, trailing_median
from analytics.scan import scan
from errors import InvalidInput

COLUMNS = ["current", "pressure", "flow"]
#: Where `plant` injects its fault, in rows of the scored frame.
FAULT = slice(250, 400)


def plant(rows: int, seed: int, fault: str | None = None) -> pd.DataFrame:
    """A pump at 1 s: a cycling current, a noisy pressure tied to it, a quantised flow.

    `shift`: the flow drops by five of its standard deviations in FAULT (a
    valve closing); `noise`: the pressure gets six times noisier in FAULT, its
    level unchanged (a loose sensor); `burst`: six rows of every column far
    off in the middle.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    current = 1.0 + 0.3 * np.sin(2 * np.pi * t / 60) + rng.normal(0, 0.08, rows)
    noise = np.full(rows, 0.05)
    if fault == "noise":
        noise[FAULT] *= 6
    pressure = 0.5 * current + rng.normal(0, 1, rows) * noise
    flow = np.round(32 + rng.normal(0, 0.6, rows))
    if fault == "shift":
        flow[FAULT] -= 3.0
    frame = pd.DataFrame(
        {"current": current, "pressure": pressure, "flow": flow},
        index=pd.date_range("2026-01-05", periods=rows, freq="s", tz="UTC"),
    )
    if fault == "burst":
        frame.iloc[300:306] += [3.0, 1.5, 10.0]
    return frame


#: What each detector is built to find (see its docstring).
SCENARIOS = {
    "window-ensemble": "shift",
    "window-z": "shift",
    "window-pca": "noise",
    "pca-t2q": "burst",
    "isolation-forest": "burst",
    "rolling-z": "burst",
    "isolation-forest-skab": "burst",
}


def test_every_detector_has_a_scenario_and_the_best_is_registered() -> None:
    assert set(SCENARIOS) == set(DETECTORS)
    assert BEST in DETECTORS


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_each_detector_finds_its_fault_and_little_else(name: str) -> None:
    detector = make_detector(name).fit(plant(400, seed=1))
    fault = SCENARIOS[name]
    flags = detector.predict(plant(700, seed=2, fault=fault)).to_numpy()
    inside = np.zeros(700, dtype=bool)
    inside[slice(300, 306) if fault == "burst" else FAULT] = True
    assert flags[inside].mean() >= (0.3 if fault == "burst" else 0.6), "the fault went unseen"
    assert flags[~inside].mean() <= 0.05, "too many false alarms around the fault"


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_scoring_in_chunks_equals_scoring_at_once(name: str) -> None:
    frame = plant(900, seed=3, fault=SCENARIOS[name])
    detector = make_detector(name).fit(plant(400, seed=1))
    whole_scores, whole_flags = detector.score(frame), detector.predict(frame)
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, 900), size=12, replace=False))
    chunks = [frame.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, 900], strict=True)]
    parts = list(scan(detector, [frame.iloc[:0], *chunks]))
    scores = pd.concat([s for s, _ in parts])
    flags = pd.concat([f for _, f in parts])
    assert scores.index.equals(frame.index)
    np.testing.assert_allclose(scores.to_numpy(), whole_scores.to_numpy(), rtol=1e-9)
    assert (flags == whole_flags).all()


def test_the_published_isolation_forest_is_scikit_learns_with_a_rolling_median() -> None:
    train, test = plant(400, seed=1), plant(700, seed=2, fault="burst")
    reference = IsolationForest(random_state=0, contamination=0.0005).fit(train)
    expected = (
        pd.Series((reference.predict(test) == -1).astype(float)).rolling(3).median().fillna(0)
    )
    ours = make_detector("isolation-forest-skab").fit(train).predict(test)
    assert expected.to_numpy().astype(bool).tolist() == ours.tolist()
    assert ours.any()


def test_fitting_twice_gives_the_same_scores() -> None:
    frame = plant(500, seed=4, fault="shift")
    first = make_detector(BEST).fit(plant(400, seed=1)).score(frame)
    again = make_detector(BEST).fit(plant(400, seed=1)).score(frame)
    assert first.equals(again)


@pytest.mark.parametrize(
    ("train", "message"),
    [
        (plant(400, 1).assign(flow=32.0), r"column 'flow' is constant \(32\) over the training"),
        (plant(400, 1).iloc[:20], "the training range holds 20 rows; at least 80 are needed"),
        (plant(400, 1).iloc[:0], "the training range holds 0 rows"),
        (plant(400, 1).assign(state="on"), "column 'state' is not numeric"),
        (plant(400, 1)[[]], "choose at least one column"),
    ],
)
def test_training_data_a_detector_cannot_learn_from_is_refused(
    train: pd.DataFrame, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        make_detector(BEST).fit(train)


def test_missing_values_are_refused_with_where_they_are() -> None:
    train = plant(400, 1)
    train.iloc[123, 1] = np.nan
    with pytest.raises(InvalidInput, match=r"'pressure' has 1 missing .* training rows .*00:02:03"):
        make_detector(BEST).fit(train)
    detector = make_detector(BEST).fit(plant(400, 1))
    frame = plant(100, 2)
    frame.iloc[5:7, 2] = np.inf
    with pytest.raises(InvalidInput, match="'flow' has 2 missing or infinite values in the rows"):
        detector.score(frame)


def test_scoring_needs_a_fit_on_the_same_columns() -> None:
    with pytest.raises(InvalidInput, match="must be fitted"):
        make_detector(BEST).score(plant(100, 2))
    detector = make_detector(BEST).fit(plant(400, 1))
    with pytest.raises(InvalidInput, match="fitted on columns current, pressure, flow"):
        detector.score(plant(100, 2)[["flow", "current", "pressure"]])
    assert detector.score(plant(100, 2).iloc[:0]).empty


def test_unknown_detector_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match=r"unknown detector 'magic' .*window-ensemble"):
        make_detector("magic")


def test_smoothing_fills_short_gaps_then_drops_short_events() -> None:
    flags = np.array([1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], dtype=bool)
    # the one-row gap is filled; the lone row is dropped; the four-row event at the end stays
    expected = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert smooth(flags, 3).astype(int).tolist() == expected
    assert smooth(flags, 1).tolist() == flags.tolist()
    assert not smooth(np.zeros(5, dtype=bool), 3).any()


def test_trailing_median_is_pandas_rolling_median() -> None:
    rng = np.random.default_rng(5)
    flags = rng.random(200) < 0.4
    for rows in (2, 3, 4, 7):
        expected = pd.Series(flags.astype(float)).rolling(rows).median().fillna(0) > 0.5
        assert trailing_median(flags, rows).tolist() == expected.tolist()
