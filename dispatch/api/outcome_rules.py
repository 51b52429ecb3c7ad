"""Which stored outcomes retraining may learn from: the plausible ones.

Anyone allowed to post trip events writes outcomes, so before a retraining uses them each
is checked against the road network and the order of its events, and the rejected ones
are counted by rule (the retraining's answer reports them). An outcome is rejected when

- it repeats another ride: the same pickup time, origin and destination (first kept);
- it is faster than :attr:`OutcomeRules.max_speed_kmh` over the route's network distance;
- it is slower than :attr:`OutcomeRules.slow_factor` times the free-flow time plus
  :attr:`OutcomeRules.slow_margin_s`;
- its events are out of order: the dropoff lies after the time it was recorded (beyond
  the clock skew the service allows), so it was reported before it happened.

These bound what poisoning can do, not whether it is tried: a lie within them is still
learnt from, and the trusted holdout of :mod:`.retraining` judges the model it makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import PreparedTrips

_SAME_RIDE = ["pickup_time", "origin_lat", "origin_lon", "dest_lat", "dest_lon"]


@dataclass(frozen=True)
class OutcomeRules:
    """The limits of a plausible ride (see the module docstring)."""

    max_speed_kmh: float = 120.0
    slow_factor: float = 3.0
    slow_margin_s: float = 900.0
    clock_skew_s: float = 300.0


def plausible_outcomes(
    data: PreparedTrips, rules: OutcomeRules
) -> tuple[PreparedTrips, dict[str, int]]:
    """The outcomes that pass every rule, and how many each rule rejected (in order, an
    outcome counted by the first rule it breaks).

    ``data.trips`` needs a ``recorded_at`` column: when each outcome was recorded.
    """
    trips, X, y = data.trips, data.X, data.y
    dropoff = trips["pickup_time"] + pd.to_timedelta(y, unit="s")
    recorded = pd.to_datetime(trips["recorded_at"], utc=True)
    checks = [
        (
            "duplicate ride (same pickup time and places as another)",
            trips.duplicated(subset=_SAME_RIDE).to_numpy(),
        ),
        (
            f"faster than {rules.max_speed_kmh:g} km/h over the network distance",
            X["distance_m"].to_numpy() / y * 3.6 > rules.max_speed_kmh,
        ),
        (
            f"slower than {rules.slow_factor:g} x free flow + {rules.slow_margin_s:g} s",
            y > rules.slow_factor * X["free_flow_s"].to_numpy() + rules.slow_margin_s,
        ),
        (
            "events out of order (dropoff after it was recorded)",
            (dropoff > recorded + pd.Timedelta(seconds=rules.clock_skew_s)).to_numpy(),
        ),
    ]
    keep = np.ones(len(y), dtype=bool)
    rejected: dict[str, int] = {}
    for reason, broken in checks:
        hit = keep & np.asarray(broken, dtype=bool)
        rejected[reason] = int(hit.sum())
        keep &= ~hit
    return data.subset(keep), rejected
