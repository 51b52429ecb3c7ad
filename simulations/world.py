"""A seeded NEMT world: road graph, hidden driving truth, weather, places, riders and fleet.

:class:`PublicWorld` is the part a dispatcher knows, the only part policies are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import routing

from .demand import DemandParams, Rider, Trip, day_dates, make_riders, trips_for_day
from .exceptions import ScenarioError
from .fleet import FleetParams, FleetVehicle, make_fleet
from .places import Facility, medical_facilities, residential_nodes
from .truth import GroundTruth, TruthParams
from .weather import DayWeather, WeatherParams, simulate_weather

# Independent random streams, so that changing one part leaves the others as they were.
_STREAM_WEATHER, _STREAM_TRUTH, _STREAM_PLACES, _STREAM_RIDERS, _STREAM_FLEET = range(5)
STREAM_DEMAND, STREAM_DRIVING = 5, 6


@dataclass(frozen=True)
class PublicWorld:
    """What a dispatcher knows of a world: the map, calendar, fleet, places, weather feed.

    Not the driving truth, the riders' habits or the demand to come.
    """

    graph: routing.RoadGraph
    dates: tuple[date, ...]
    timezone: str
    fleet: tuple[FleetVehicle, ...]
    facilities: tuple[Facility, ...]
    weather: tuple[DayWeather, ...]

    def weather_observation(self, day: int, t_s: float) -> dict[str, float | bool | str]:
        """The weather feed's observation for the hour containing ``t_s``."""
        weather = self.weather[day]
        hour = min(int(t_s // 3600), 23)
        return {
            "weather_condition": weather.condition[hour],
            "precipitation_mm": float(weather.precipitation_mm[hour]),
            "snow": weather.condition[hour] == "snow",
            "temperature_c": float(weather.temperature_c[hour]),
        }


@dataclass(frozen=True)
class WorldParams:
    """Everything that defines a world besides its map, length and seed."""

    n_vehicles: int = 40
    start_date: date = date(2026, 1, 5)
    timezone: str | None = None  # default: the map's own zone
    min_facilities: int = 8
    truth: TruthParams = field(default_factory=TruthParams)
    weather: WeatherParams = field(default_factory=WeatherParams)
    demand: DemandParams = field(default_factory=DemandParams)
    fleet: FleetParams = field(default_factory=FleetParams)


def _n_riders(params: WorldParams) -> int:
    """The riders of a world: the demand's own number, or its share per vehicle of the fleet."""
    demand = params.demand
    if demand.riders is not None:
        if demand.riders < 1:
            msg = f"riders must be at least 1, got {demand.riders}"
            raise ScenarioError(msg)
        return demand.riders
    return max(int(demand.riders_per_vehicle * params.n_vehicles), 1)


class World:
    """One simulated provider's world over ``days`` days.

    Public: the graph, dates, observed weather, places, riders, fleet, the day's trips,
    and :meth:`drive` (the true duration of a drive). The per-edge truth stays private.
    ``public`` is what a dispatcher may see (:class:`PublicWorld`). ``notes`` says what the
    world had to make up (e.g. fallback facilities).
    """

    def __init__(
        self,
        graph: routing.RoadGraph,
        days: int,
        seed: int,
        params: WorldParams | None = None,
        map_path: Path | None = None,
    ) -> None:
        if days < 1:
            msg = f"days must be at least 1, got {days}"
            raise ScenarioError(msg)
        self.graph = graph
        self.days = days
        self.seed = seed
        self.params = params or WorldParams()
        self.dates = day_dates(self.params.start_date, days)
        self.timezone = self.params.timezone or graph.timezone
        self.weather: list[DayWeather] = simulate_weather(
            days, self.params.weather, self.rng(_STREAM_WEATHER)
        )
        self._truth = GroundTruth(
            graph, self.weather, self.params.start_date, self.params.truth, self.rng(_STREAM_TRUTH)
        )
        self.facilities: list[Facility] = medical_facilities(
            graph, map_path, self.params.min_facilities, self.rng(_STREAM_PLACES)
        )
        self.homes = residential_nodes(graph, self.facilities)
        n_riders = _n_riders(self.params)
        self.riders: list[Rider] = make_riders(
            self.homes, self.facilities, n_riders, self.params.demand, self.rng(_STREAM_RIDERS)
        )
        self.fleet: list[FleetVehicle] = make_fleet(
            graph, self.params.n_vehicles, self.params.fleet, self.rng(_STREAM_FLEET)
        )
        self.public = PublicWorld(
            graph,
            tuple(self.dates),
            self.timezone,
            tuple(self.fleet),
            tuple(self.facilities),
            tuple(self.weather),
        )
        self.notes: list[str] = []
        n_fallback = sum(f.is_fallback for f in self.facilities)
        if n_fallback:
            self.notes.append(
                f"the map tags {len(self.facilities) - n_fallback} usable medical facilities; "
                f"added {n_fallback} spread-out fallback destinations"
            )

    def rng(self, stream: int, *key: int) -> np.random.Generator:
        """The random stream ``stream`` (optionally per ``key``, e.g. a day) of this seed."""
        return np.random.default_rng([self.seed, stream, *key])

    def trips(self, day: int) -> list[Trip]:
        """The trips requested on ``day`` (the same for the same seed)."""
        return trips_for_day(
            day,
            self.dates[day],
            self.riders,
            self.facilities,
            self.params.demand,
            self.rng(STREAM_DEMAND, day),
        )

    def drive(self, origin: int, dest: int, day: int, t_s: float, noise: float) -> float:
        """True duration (s) of a drive departing ``t_s`` seconds after midnight of ``day``."""
        return self._truth.drive(origin, dest, day, t_s, noise)

    def congestion_index(self, day: int, t_s: float) -> float:
        """The traffic feed's congestion index (1 = free flow) at that time."""
        return self._truth.congestion_index(day, t_s)

    def weather_observation(self, day: int, t_s: float) -> dict[str, float | bool | str]:
        """The weather feed's observation for the hour containing ``t_s``."""
        return self.public.weather_observation(day, t_s)

    def timestamps(self, day: np.ndarray, t_s: np.ndarray) -> pd.DatetimeIndex:
        """Timezone-aware timestamps of (day index, seconds after midnight) pairs."""
        dates = pd.to_datetime([self.dates[d] for d in day])
        naive = dates + pd.to_timedelta(t_s, unit="s")
        return naive.tz_localize(self.timezone, ambiguous=False, nonexistent="shift_forward")
