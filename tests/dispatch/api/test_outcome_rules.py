"""The plausibility rules of the outcomes retraining learns from: each rule rejects what it
names, counts it, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

import routing
from dispatch.api.outcome_rules import OutcomeRules, plausible_outcomes
from models import prepare_trips

START = pd.Timestamp("2026-03-02T08:00:00", tz="America/New_York")


def _outcomes(graph: routing.RoadGraph, ratios: list[float]) -> pd.DataFrame:
    """Rides between nodes 0..k and 100..k, each ``ratio`` x its free-flow time, recorded a
    minute after the dropoff; rows one hour apart."""
    n = len(ratios)
    frame = pd.DataFrame(
        {
            "pickup_time": [START + timedelta(hours=k) for k in range(n)],
            "origin_lat": graph.lat[:n],
            "origin_lon": graph.lon[:n],
            "dest_lat": graph.lat[100 : 100 + n],
            "dest_lon": graph.lon[100 : 100 + n],
            "duration_s": 600.0,
        }
    )
    free_flow = prepare_trips(frame, graph).X["free_flow_s"].to_numpy()
    frame["duration_s"] = free_flow * ratios
    return _recorded(frame)


def _recorded(frame: pd.DataFrame) -> pd.DataFrame:
    """The rides recorded a minute after their dropoff."""
    dropoff = frame["pickup_time"] + pd.to_timedelta(frame["duration_s"], unit="s")
    return frame.assign(recorded_at=dropoff + timedelta(minutes=1))


def test_each_rule_rejects_and_counts(baltimore: routing.RoadGraph) -> None:
    """A duplicate, a too fast, a too slow and a reported-before-it-happened ride are
    rejected, one each; the plausible rides are kept."""
    frame = _outcomes(baltimore, [1.5] * 8)
    data = prepare_trips(frame, baltimore)
    assert len(data.y) == 8
    distance = data.X["distance_m"].to_numpy()
    free_flow = data.X["free_flow_s"].to_numpy()
    frame.loc[1, "duration_s"] = distance[1] / (125 / 3.6)  # 125 km/h: within cleaning's 130
    frame.loc[2, "duration_s"] = 3 * free_flow[2] + 901
    frame = _recorded(frame)
    frame.loc[3, "recorded_at"] = frame.loc[3, "pickup_time"]  # reported at the pickup
    copy = frame.iloc[[4]].assign(duration_s=frame.loc[4, "duration_s"] * 1.1)
    frame = pd.concat([frame, copy], ignore_index=True)
    kept, rejected = plausible_outcomes(
        prepare_trips(frame, baltimore), OutcomeRules(max_speed_kmh=120.0)
    )
    assert rejected == {
        "duplicate ride (same pickup time and places as another)": 1,
        "faster than 120 km/h over the network distance": 1,
        "slower than 3 x free flow + 900 s": 1,
        "events out of order (dropoff after it was recorded)": 1,
    }
    assert len(kept.y) == 5
    assert sorted(kept.trips["pickup_time"]) == [
        START + timedelta(hours=k) for k in (0, 4, 5, 6, 7)
    ]


def test_the_limits_are_inclusive_and_the_skew_allowed(baltimore: routing.RoadGraph) -> None:
    """A ride exactly at the slow cap, or recorded within the clock skew before its dropoff,
    is plausible."""
    frame = _outcomes(baltimore, [1.0, 1.0])
    free_flow = prepare_trips(frame, baltimore).X["free_flow_s"].to_numpy()
    frame.loc[0, "duration_s"] = 2 * free_flow[0] + 100
    frame = _recorded(frame)
    dropoff = frame.loc[1, "pickup_time"] + timedelta(seconds=frame.loc[1, "duration_s"])
    frame.loc[1, "recorded_at"] = dropoff - timedelta(seconds=299)
    rules = OutcomeRules(slow_factor=2.0, slow_margin_s=100.0, clock_skew_s=300.0)
    kept, rejected = plausible_outcomes(prepare_trips(frame, baltimore), rules)
    assert sum(rejected.values()) == 0, rejected
    assert len(kept.y) == 2
