"""Trip history: play a world forward with a simple rule and log every driven leg.

The rule is what many small providers run on: trips are served one at a time, in order of
their planned pickup, each by the compatible on-shift vehicle that can be there first by
free-flow estimate (ties: the nearest). Vehicles start their shift at their depot and
drive back at the end of the day.

Each leg is one record of :class:`models.TripRecord` (``pickup_time`` is the start of
the drive) plus these columns: ``free_flow_s`` and ``distance_m`` (fastest free-flow path
on the graph between the endpoints), ``leg_kind`` (``to_pickup``, ``with_rider``,
``to_depot``), ``vehicle_id`` and ``day`` (index from the world's start date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import routing
from models.schema import REQUIRED_COLUMNS

from .demand import Trip
from .fleet import FleetVehicle
from .world import STREAM_DRIVING, World

LEG_KINDS = ("to_pickup", "with_rider", "to_depot")
COLUMNS = (
    "trip_id",
    *REQUIRED_COLUMNS,
    "precipitation_mm",
    "snow",
    "temperature_c",
    "weather_condition",
    "congestion_index",
    "vehicle_type",
    "free_flow_s",
    "distance_m",
    "leg_kind",
    "vehicle_id",
    "day",
)
NO_SHOW_WAIT_S = 300.0
PICKUP_SLACK_S = 300.0
ON_TIME_PICKUP_S = 900.0
# An arrive-by trip is planned to leave this long before the appointment: direct free-flow
# time x factor + buffer, as dispatchers pad for traffic.
ARRIVE_BY_FACTOR = 1.3
ARRIVE_BY_BUFFER_S = 900.0


@dataclass
class _VehicleState:
    vehicle: FleetVehicle
    node: int
    free_at: float
    used: bool = False


@dataclass
class DaySummary:
    """Outcome counts of one simulated day."""

    day: int
    requested: int = 0
    cancelled: int = 0
    no_shows: int = 0
    served: int = 0
    unserved: int = 0
    on_time_pickups: int = 0
    legs: int = 0


@dataclass
class History:
    """The logged legs (one row per leg) and a summary per day."""

    records: pd.DataFrame
    days: list[DaySummary] = field(default_factory=list)


def generate_history(
    world: World, progress: Callable[[int], None] | None = None, *, days: int | None = None
) -> History:
    """Play the first ``days`` days (default: all) of ``world`` with the nearest-vehicle rule."""
    rows: list[dict[str, Any]] = []
    summaries = []
    for day in range(world.days if days is None else min(days, world.days)):
        summaries.append(_play_day(world, day, rows))
        if progress is not None:
            progress(day)
    records = pd.DataFrame(rows, columns=[*COLUMNS, "t_s"])
    records["pickup_time"] = world.timestamps(records["day"].to_numpy(), records["t_s"].to_numpy())
    return History(records=records[list(COLUMNS)], days=summaries)


def _play_day(world: World, day: int, rows: list[dict[str, Any]]) -> DaySummary:
    graph = world.graph
    noise = world.rng(STREAM_DRIVING, day)
    summary = DaySummary(day=day)
    states = [_VehicleState(v, v.depot, v.shift_start_s) for v in world.fleet]
    trips = world.trips(day)
    summary.requested = len(trips)
    planned = [(_planned_pickup(graph, t), t) for t in trips if not t.cancelled]
    summary.cancelled = len(trips) - len(planned)
    logger = _LegLogger(world, day, rows, noise)
    for pickup_s, trip in sorted(planned, key=lambda p: (p[0], p[1].trip_id)):
        chosen = _choose_vehicle(graph, states, trip, pickup_s)
        if chosen is None:
            summary.unserved += 1
            continue
        state, free_flow = chosen
        state.used = True
        _serve(trip, pickup_s, state, free_flow, logger, summary)
    for state in states:
        if state.used and state.node != state.vehicle.depot:
            logger.drive(state, state.vehicle.depot, state.free_at, "to_depot", None)
    summary.legs = logger.count
    return summary


def _planned_pickup(graph: routing.RoadGraph, trip: Trip) -> float:
    if trip.ready_s is not None:
        return trip.ready_s
    assert trip.appointment_s is not None
    direct = routing.router(graph).travel_time(trip.pickup, trip.dropoff)
    return trip.appointment_s - direct * ARRIVE_BY_FACTOR - trip.board_s - ARRIVE_BY_BUFFER_S


def _choose_vehicle(
    graph: routing.RoadGraph, states: list[_VehicleState], trip: Trip, pickup_s: float
) -> tuple[_VehicleState, float] | None:
    """The vehicle that can be at the pickup first, and its free-flow seconds to get there."""
    eligible = [
        s
        for s in states
        if s.vehicle.vehicle_type.can_carry(trip.mobility, trip.escorts)
        and s.vehicle.shift_start_s <= pickup_s
        and max(s.free_at, pickup_s) < s.vehicle.shift_end_s - 1800
    ]
    if not eligible:
        return None
    to_pickup = routing.router(graph).travel_times_to(trip.pickup, [s.node for s in eligible])
    arrival = np.maximum([s.free_at for s in eligible] + to_pickup, pickup_s)
    best = min(range(len(eligible)), key=lambda i: (arrival[i], to_pickup[i], i))
    return eligible[best], float(to_pickup[best])


def _serve(
    trip: Trip,
    pickup_s: float,
    state: _VehicleState,
    free_flow: float,
    logger: _LegLogger,
    summary: DaySummary,
) -> None:
    depart = max(state.free_at, pickup_s - free_flow - PICKUP_SLACK_S)
    arrive = logger.drive(state, trip.pickup, depart, "to_pickup", trip.trip_id)
    picked_up = max(arrive, pickup_s)
    if trip.no_show:
        summary.no_shows += 1
        state.free_at = picked_up + NO_SHOW_WAIT_S
        return
    summary.served += 1
    late = picked_up - pickup_s
    summary.on_time_pickups += int(late <= ON_TIME_PICKUP_S)
    dropped = logger.drive(
        state, trip.dropoff, picked_up + trip.board_s, "with_rider", trip.trip_id
    )
    state.free_at = dropped + trip.alight_s


class _LegLogger:
    """Drives a vehicle on the world's true times and logs the leg as a record."""

    def __init__(
        self, world: World, day: int, rows: list[dict[str, Any]], noise: np.random.Generator
    ) -> None:
        self.world = world
        self.day = day
        self.rows = rows
        self.noise = noise
        self.count = 0

    def drive(
        self, state: _VehicleState, dest: int, depart_s: float, kind: str, trip_id: str | None
    ) -> float:
        """Move the vehicle to ``dest``; returns the arrival time (s after midnight)."""
        origin = state.node
        state.node = dest
        if origin == dest:
            return depart_s
        world, graph = self.world, self.world.graph
        duration = world.drive(
            origin, dest, self.day, depart_s, float(self.noise.standard_normal())
        )
        path = routing.router(graph).shortest_path(origin, dest)
        self.rows.append(
            {
                "trip_id": trip_id or f"D{self.day:03d}-{state.vehicle.vehicle_id}-depot",
                "day": self.day,
                "t_s": round(depart_s),
                "origin_lat": float(graph.lat[origin]),
                "origin_lon": float(graph.lon[origin]),
                "dest_lat": float(graph.lat[dest]),
                "dest_lon": float(graph.lon[dest]),
                "duration_s": round(duration, 1),
                **world.weather_observation(self.day, depart_s),
                "congestion_index": world.congestion_index(self.day, depart_s),
                "vehicle_type": state.vehicle.vehicle_type.name,
                "free_flow_s": round(path.travel_time_s, 1),
                "distance_m": round(path.length_m, 1),
                "leg_kind": kind,
                "vehicle_id": state.vehicle.vehicle_id,
            }
        )
        self.count += 1
        return depart_s + duration


def write_history(history: History, path: str | Path) -> Path:
    """Write the records as Parquet (the columns are described in the module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    history.records.to_parquet(path, index=False)
    return path
