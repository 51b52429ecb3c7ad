"""The hidden ground truth of driving: how long a drive really takes, hour by hour.

Nothing outside ``simulations`` sees the per-edge truth. What leaves this module is the
duration of a drive (as a vehicle would log it) and a noisy city-wide congestion index
(as a traffic feed would publish it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

import routing

from .weather import DayWeather

# Road-class groups of the truth model, by ROAD_CLASSES name.
_GROUP_OF_CLASS = {
    "motorway": 0,
    "motorway_link": 0,
    "trunk": 1,
    "trunk_link": 1,
    "primary": 1,
    "primary_link": 1,
    "secondary": 1,
    "secondary_link": 1,
    "tertiary": 2,
    "tertiary_link": 2,
    "unclassified": 2,
}
GROUPS = ("motorway", "arterial", "collector", "local")
_LOCAL = 3


@dataclass(frozen=True)
class TruthParams:
    """Parameters of true driving times. Per-group tuples follow :data:`GROUPS`.

    True edge time = free-flow time x (1 + congestion excess) x weather factor x incident
    factor, plus a delay per traffic signal that grows with congestion. Congestion excess
    = ``peak_excess[group]`` x edge sensitivity (lognormal, hidden) x weekday scale x
    (morning peak + evening peak, Gaussian in the hour) + ``midday_excess[group]``.
    A drive follows the fastest path under its departure hour's true times (on maps of
    :data:`routing.CONTRACTION_MIN_NODES` nodes or more, where a search per drive under
    each hour's times would dominate the run: the free-flow fastest path, as a navigation
    app without traffic routes it, at the hour's true times); its duration is that path's
    time x lognormal trip noise, never below ``noise_floor`` x path time.
    """

    peak_excess: tuple[float, float, float, float] = (0.9, 0.75, 0.45, 0.15)
    midday_excess: tuple[float, float, float, float] = (0.15, 0.15, 0.1, 0.05)
    am_peak_hour: float = 8.0
    am_peak_width_h: float = 1.1
    pm_peak_hour: float = 17.25
    pm_peak_width_h: float = 1.4
    weekday_scale: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.05, 0.4, 0.25)
    edge_sensitivity_sigma: float = 0.3
    rain_slowdown: float = 0.08
    rain_slowdown_per_mm: float = 0.04
    rain_slowdown_max: float = 0.3
    snow_slowdown: tuple[float, float, float, float] = (0.35, 0.4, 0.55, 0.7)
    signal_delay_s: float = 8.0
    incidents_per_day: float = 2.0
    incident_slowdown: tuple[float, float] = (2.0, 4.0)
    incident_hours: tuple[float, float] = (1.0, 4.0)
    trip_noise_sigma: float = 0.08
    noise_floor: float = 0.9
    congestion_index_noise: float = 0.03


@dataclass(frozen=True)
class _Incident:
    edges: NDArray[np.int64]
    start_h: float
    end_h: float
    factor: float


class GroundTruth:
    """True travel times of one world: per-edge hidden factors, incidents, weather effects."""

    def __init__(
        self,
        graph: routing.RoadGraph,
        weather: list[DayWeather],
        start: date,
        params: TruthParams,
        rng: np.random.Generator,
    ) -> None:
        self._graph = graph
        self._weather = weather
        self._start = start
        self._params = params
        names = [routing.ROAD_CLASSES[c] for c in range(len(routing.ROAD_CLASSES))]
        group_of_code = np.array([_GROUP_OF_CLASS.get(n, _LOCAL) for n in names])
        self._group = group_of_code[graph.road_class]
        self._sensitivity = rng.lognormal(0.0, params.edge_sensitivity_sigma, graph.n_edges)
        self._incidents = [self._draw_incidents(rng) for _ in weather]
        self._index_noise = rng.lognormal(0.0, params.congestion_index_noise, (len(weather), 96))
        self._cache: dict[tuple[int, int], NDArray[np.float64]] = {}
        self._index_cache: dict[tuple[int, int], float] = {}
        self._adaptive_routes = graph.n_nodes < routing.CONTRACTION_MIN_NODES

    @property
    def days(self) -> int:
        """Number of simulated days."""
        return len(self._weather)

    def weekday(self, day: int) -> int:
        """Day of week of a day index (Monday = 0)."""
        return (self._start + timedelta(days=day)).weekday()

    def drive(self, origin: int, dest: int, day: int, t_s: float, noise: float) -> float:
        """True duration (s) of a drive departing at ``t_s`` seconds after midnight of ``day``.

        ``noise`` is a standard normal draw, supplied by the caller's random stream.
        """
        if origin == dest:
            return 0.0
        weights = self._hour_weights(day, int(t_s // 3600) % 24)
        if self._adaptive_routes:
            path_time = routing.travel_time(self._graph, origin, dest, weights=weights)
        else:
            path = routing.router(self._graph).shortest_path(origin, dest)
            path_time = float(weights[path.edges].sum())
        factor = max(np.exp(self._params.trip_noise_sigma * noise), self._params.noise_floor)
        return float(path_time * factor)

    def congestion_index(self, day: int, t_s: float) -> float:
        """Observed city-wide congestion index for the 15-minute slot containing ``t_s``.

        A noisy length-weighted mean, over motorways, arterials and collectors, of the
        true slowdown factor (1 = free flow).
        """
        slot = int(t_s // 900) % 96
        key = (day, slot)
        if key not in self._index_cache:
            factor = self._edge_factor(day, (slot + 0.5) / 4)
            main = self._group != _LOCAL
            weights = self._graph.length_m[main]
            true_index = float(np.average(factor[main], weights=weights))
            self._index_cache[key] = round(true_index * float(self._index_noise[day, slot]), 3)
        return self._index_cache[key]

    # --- the hidden per-edge truth ------------------------------------------------------

    def _hour_weights(self, day: int, hour: int) -> NDArray[np.float64]:
        key = (day, hour)
        if key not in self._cache:
            if len(self._cache) > 48:
                self._cache.clear()
            factor = self._edge_factor(day, hour + 0.5)
            signal_delay = self._graph.signals * self._params.signal_delay_s * factor
            self._cache[key] = self._graph.travel_time_s * factor + signal_delay
        return self._cache[key]

    def _edge_factor(self, day: int, hour: float) -> NDArray[np.float64]:
        p = self._params
        peaks = np.exp(-0.5 * ((hour - p.am_peak_hour) / p.am_peak_width_h) ** 2) + np.exp(
            -0.5 * ((hour - p.pm_peak_hour) / p.pm_peak_width_h) ** 2
        )
        scale = p.weekday_scale[self.weekday(day)]
        daytime = 1.0 if 9.5 <= hour <= 15.5 else 0.0
        peak = np.asarray(p.peak_excess)[self._group] * self._sensitivity * peaks
        midday = np.asarray(p.midday_excess)[self._group] * daytime
        factor: NDArray[np.float64] = 1.0 + scale * (peak + midday)
        factor = factor * self._weather_factor(day, int(hour) % 24)
        for incident in self._incidents[day]:
            if incident.start_h <= hour < incident.end_h:
                factor[incident.edges] *= incident.factor
        return factor

    def _weather_factor(self, day: int, hour: int) -> NDArray[np.float64] | float:
        weather = self._weather[day]
        p = self._params
        if weather.snowing(hour):
            snow: NDArray[np.float64] = 1.0 + np.asarray(p.snow_slowdown)[self._group]
            return snow
        mm = float(weather.precipitation_mm[hour])
        if weather.condition[hour] == "rain":
            return 1.0 + min(p.rain_slowdown + p.rain_slowdown_per_mm * mm, p.rain_slowdown_max)
        return 1.0

    def _draw_incidents(self, rng: np.random.Generator) -> list[_Incident]:
        p = self._params
        candidates = np.flatnonzero(self._group <= 1)
        if candidates.size == 0:
            candidates = np.arange(self._graph.n_edges)
        incidents = []
        for _ in range(rng.poisson(p.incidents_per_day)):
            edge = int(rng.choice(candidates))
            # the edge and those feeding into its tail: a queue spills back
            tail = self._graph.edge_tail[edge]
            feeding = self._graph.rev_edge[
                self._graph.rev_indptr[tail] : self._graph.rev_indptr[tail + 1]
            ]
            start = float(rng.uniform(6.0, 20.0))
            incidents.append(
                _Incident(
                    edges=np.concatenate(([edge], feeding)).astype(np.int64),
                    start_h=start,
                    end_h=start + float(rng.uniform(*p.incident_hours)),
                    factor=float(rng.uniform(*p.incident_slowdown)),
                )
            )
        return incidents
