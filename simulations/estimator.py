"""What a policy believes about driving times: free-flow, or the learned ETA model.

The estimator prices drives with the dispatch engine's :class:`~dispatch.costs.CostProvider`
(so policies and the live service share one cost model) and converts the simulator's
seconds-after-midnight into the aware datetimes the dispatch domain uses. With a model it
feeds the model what a dispatcher can know ahead: the hourly weather forecast (taken as
exact) and the typical congestion index of that weekday type and quarter hour, learned
from the same history the model was trained on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

import routing
from dispatch.costs import CostProvider, Reading
from models import EtaModel

from .exceptions import ScenarioError
from .world import PublicWorld

SLOTS_PER_DAY = 96


def congestion_profile(history: pd.DataFrame) -> np.ndarray:
    """Mean logged congestion index by (weekend?, quarter hour): shape ``(2, 96)``.

    Slots without any record fall back to 1.0 (free flow).
    """
    local = history["pickup_time"]  # in the world's own time zone
    slot = (local.dt.hour * 4 + local.dt.minute // 15).to_numpy()
    weekend = (local.dt.day_of_week >= 5).to_numpy().astype(int)
    profile = np.ones((2, SLOTS_PER_DAY))
    frame = pd.DataFrame(
        {"weekend": weekend, "slot": slot, "index": history["congestion_index"].to_numpy()}
    )
    means = frame.groupby(["weekend", "slot"])["index"].mean()
    weekend_of, slot_of = (
        means.index.get_level_values(k).to_numpy(int) for k in ("weekend", "slot")
    )
    profile[weekend_of, slot_of] = means.to_numpy(float)
    return profile


class TravelEstimator:
    """A policy's travel times on one day of a world (free-flow when ``model`` is None).

    It is given the world's public parts only, as a policy is.
    """

    def __init__(
        self,
        world: PublicWorld,
        day: int,
        model: EtaModel | None = None,
        *,
        model_version: str | None = None,
        profile: np.ndarray | None = None,
        risk_aware: bool = False,
    ) -> None:
        if model is not None and profile is None:
            msg = "profile: a model needs the typical congestion profile from its history"
            raise ScenarioError(msg)
        self.world = world
        self.day = day
        self.model = model
        self.profile = profile
        self.costs = CostProvider(
            world.graph, model, model_version=model_version, risk_aware=risk_aware
        )
        date = world.dates[day]
        self.midnight = datetime(date.year, date.month, date.day, tzinfo=ZoneInfo(world.timezone))
        self._weekend = int(date.weekday() >= 5)
        self._drives: dict[tuple[int, int, int], float] = {}

    @property
    def label(self) -> str:
        """``free-flow`` or ``eta-model``."""
        return "free-flow" if self.model is None else "eta-model"

    def moment(self, seconds: float) -> datetime:
        """The aware datetime of seconds after midnight of the day."""
        return self.midnight + timedelta(seconds=float(seconds))

    def seconds_of(self, moment: datetime) -> float:
        """Seconds after midnight of the day."""
        return (moment - self.midnight).total_seconds()

    def forecast(self, moment: datetime) -> dict[str, Reading]:
        """The readings a dispatcher expects at ``moment``: weather forecast, typical traffic."""
        if self.profile is None:
            return {}
        t = self.seconds_of(moment)
        slot = min(max(int(t // 900), 0), SLOTS_PER_DAY - 1)
        return {
            **self.world.weather_observation(self.day, min(max(t, 0.0), 86399.0)),
            "congestion_index": round(float(self.profile[self._weekend, slot]), 3),
        }

    def seconds(self, origin: int, dest: int, depart_s: float) -> float:
        """Predicted seconds of one drive leaving at ``depart_s``."""
        if origin == dest:
            return 0.0
        bucket = 0 if self.model is None else int(depart_s // self.costs.bucket_s)
        key = (origin, dest, bucket)
        if key not in self._drives:
            if self.model is None:
                self._drives[key] = routing.router(self.world.graph).travel_time(origin, dest)
            else:
                graph, nodes = self.world.graph, [origin, dest]
                times = self.costs.travel_times(
                    graph.lat[nodes], graph.lon[nodes], self.moment(depart_s), self.forecast
                )
                self._drives[key] = float(times.plan[0, 1])
        return self._drives[key]
