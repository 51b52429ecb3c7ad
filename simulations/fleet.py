"""The simulated fleet: vehicle types with seat, wheelchair and stretcher space, depots, shifts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import routing

from .exceptions import ScenarioError
from .places import spread_nodes


@dataclass(frozen=True)
class VehicleType:
    """Space of a vehicle type: ambulatory seats, wheelchair positions, stretchers."""

    name: str
    seats: int
    wheelchairs: int
    stretchers: int

    def can_carry(self, mobility: str, escorts: int) -> bool:
        """Whether one rider of this mobility, with escorts in seats, fits."""
        if mobility == "ambulatory":
            return self.seats >= 1 + escorts
        if mobility == "wheelchair":
            return self.wheelchairs >= 1 and self.seats >= escorts
        return self.stretchers >= 1 and self.seats >= escorts

    def fits(self, riders: list[tuple[str, int]]) -> bool:
        """Whether all ``riders`` (mobility, escorts) fit at once."""
        seats = sum(escorts + (mobility == "ambulatory") for mobility, escorts in riders)
        wheelchairs = sum(mobility == "wheelchair" for mobility, _ in riders)
        stretchers = sum(mobility == "stretcher" for mobility, _ in riders)
        return (
            seats <= self.seats
            and wheelchairs <= self.wheelchairs
            and stretchers <= self.stretchers
        )


SEDAN = VehicleType("sedan", seats=3, wheelchairs=0, stretchers=0)
WHEELCHAIR_VAN = VehicleType("wheelchair_van", seats=4, wheelchairs=2, stretchers=0)
STRETCHER_VAN = VehicleType("stretcher_van", seats=1, wheelchairs=0, stretchers=1)
VEHICLE_TYPES = (SEDAN, WHEELCHAIR_VAN, STRETCHER_VAN)


@dataclass(frozen=True)
class FleetParams:
    """Fleet mix (shares of :data:`VEHICLE_TYPES`), depots and shifts (hours of the day).

    Shifts are assigned round-robin, so the fleet is on the road from early morning (the
    first dialysis chairs) to the evening returns.
    """

    type_shares: tuple[float, float, float] = (0.5, 0.38, 0.12)
    n_depots: int = 2
    shifts_h: tuple[tuple[float, float], ...] = (
        (5.0, 13.5),
        (6.5, 15.0),
        (9.0, 17.5),
        (11.0, 20.0),
    )


@dataclass(frozen=True)
class FleetVehicle:
    """One vehicle of the simulated fleet."""

    vehicle_id: str
    vehicle_type: VehicleType
    depot: int
    shift_start_s: float
    shift_end_s: float


def make_fleet(
    graph: routing.RoadGraph, n_vehicles: int, params: FleetParams, rng: np.random.Generator
) -> list[FleetVehicle]:
    """A fleet of ``n_vehicles`` with the configured type mix, at spread-out depots."""
    if n_vehicles < 1:
        msg = f"n_vehicles must be at least 1, got {n_vehicles}"
        raise ScenarioError(msg)
    counts = _largest_remainder(n_vehicles, np.asarray(params.type_shares))
    types = [t for t, c in zip(VEHICLE_TYPES, counts, strict=True) for _ in range(c)]
    depots = spread_nodes(graph, [], params.n_depots, rng)
    fleet = []
    for k, vehicle_type in enumerate(types):
        start, end = params.shifts_h[k % len(params.shifts_h)]
        fleet.append(
            FleetVehicle(
                vehicle_id=f"V{k + 1:03d}",
                vehicle_type=vehicle_type,
                depot=depots[k % len(depots)],
                shift_start_s=start * 3600,
                shift_end_s=end * 3600,
            )
        )
    return fleet


def _largest_remainder(total: int, shares: NDArray[np.float64]) -> list[int]:
    """Integer counts summing to ``total`` in proportion to ``shares``, each type at least one."""
    raw = shares / shares.sum() * total
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts))[: total - counts.sum()]:
        counts[i] += 1
    for i in np.flatnonzero(counts == 0):
        if total >= len(shares):
            counts[i] += 1
            counts[np.argmax(counts)] -= 1
    return [int(c) for c in counts]
