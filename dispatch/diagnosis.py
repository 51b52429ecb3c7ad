"""Why a request was left unserved: a machine-readable reason and a sentence for a dispatcher.

Reasons are tested in order, each on the request alone (no other riders):
``no_compatible_vehicle`` (no vehicle may carry its space need), ``ride_time_impossible``
(even the direct drive exceeds its maximum ride time), ``window_unreachable`` (no
compatible vehicle, driving straight from its depot, meets the windows, shift and route
duration), else ``no_capacity_in_time`` (it could be served alone, but not together with
the riders already planned).
"""

from __future__ import annotations

import numpy as np

from .problem import PdpProblem
from .route_timing import schedule_with_ride_times

NO_COMPATIBLE_VEHICLE = "no_compatible_vehicle"
RIDE_TIME_IMPOSSIBLE = "ride_time_impossible"
WINDOW_UNREACHABLE = "window_unreachable"
NO_CAPACITY_IN_TIME = "no_capacity_in_time"


def unserved_reason(problem: PdpProblem, request: int) -> tuple[str, str]:
    """(reason, explanation) of one unserved request."""
    pick, drop = int(problem.pickups[request]), int(problem.deliveries[request])
    vehicles = np.flatnonzero(problem.compatible[:, request])
    if vehicles.size == 0:
        return NO_COMPATIBLE_VEHICLE, "no vehicle in the fleet can carry this space need"
    direct = float(problem.travel_time[pick, drop])
    if direct > problem.max_ride_time[request]:
        limit = float(problem.max_ride_time[request])
        return (
            RIDE_TIME_IMPOSSIBLE,
            f"the direct drive takes {direct:g}, the ride limit is {limit:g}",
        )
    for v in vehicles.tolist():
        alone = np.array([problem.vehicle_start[v], pick, drop, problem.vehicle_end[v]])
        if schedule_with_ride_times(problem, v, alone) is not None:
            return NO_CAPACITY_IN_TIME, (
                f"vehicle {v} could serve it alone, but no vehicle has room for it in time "
                "around the riders already planned"
            )
    return WINDOW_UNREACHABLE, (
        "no compatible vehicle driving straight from its depot meets the pickup and dropoff "
        "windows within its shift"
    )


def unserved_reasons(problem: PdpProblem, requests: list[int]) -> dict[int, tuple[str, str]]:
    """:func:`unserved_reason` of each request."""
    return {r: unserved_reason(problem, r) for r in requests}
