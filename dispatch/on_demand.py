"""On-demand matching on domain objects: free vehicles to open requests, now.

The rules become the ``feasible`` matrix of :func:`dispatch.matching.match`: the vehicle
can carry the rider (mobility, escorts), it can reach the pickup within the maximum wait,
and it can finish the trip (pickup, direct ride, dropoff) before its shift ends. The cost
of a pair is the predicted time to pickup plus ``lateness_weight`` times the seconds the
pickup would start after the latest moment that keeps the request on time (the end of its
pickup window, or the appointment minus the direct ride and boarding). A request left
unmatched is priced above any matching, plus the lateness it would reach by waiting the
maximum wait, so the most requests are matched and, among them, the most urgent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .costs import CostProvider, Observations
from .domain import TripRequest, Vehicle
from .exceptions import PlanningError
from .matching import UnmatchedReason, match


@dataclass(frozen=True)
class Assignment:
    """A vehicle sent to a request, with the predicted seconds to reach the pickup."""

    vehicle_id: str
    request_id: str
    seconds_to_pickup: float


@dataclass(frozen=True)
class OnDemandResult:
    """Assignments, and the reason for each request left unmatched (by request id)."""

    assignments: list[Assignment]
    unmatched: dict[str, UnmatchedReason]


def match_now(
    vehicles: Sequence[Vehicle],
    requests: Sequence[TripRequest],
    costs: CostProvider,
    now: datetime,
    *,
    max_wait_s: float = 1800.0,
    lateness_weight: float = 2.0,
    observations: Observations | None = None,
) -> OnDemandResult:
    """Match free vehicles (at their ``position``, else their depot) to open requests.

    ``observations`` are the weather and congestion readings for the ETA model.
    """
    if max_wait_s <= 0:
        msg = f"max_wait_s must be positive, got {max_wait_s}"
        raise PlanningError(msg)
    if not vehicles or not requests:
        return OnDemandResult([], {r.id: UnmatchedReason.NO_FEASIBLE_VEHICLE for r in requests})
    places = [v.position or v.depot for v in vehicles]
    places += [p for r in requests for p in (r.pickup, r.dropoff)]
    times = costs.travel_times([p.lat for p in places], [p.lon for p in places], now, observations)
    n_v = len(vehicles)
    pickup = n_v + 2 * np.arange(len(requests))
    to_pickup = times.plan[:n_v][:, pickup]
    direct = times.feasibility[pickup, pickup + 1]
    service = np.array([r.board_s + r.alight_s for r in requests])
    left_s = np.array([(v.shift_end - now).total_seconds() for v in vehicles])
    carries = np.array(
        [[v.type.can_carry(r.mobility, r.escorts) for r in requests] for v in vehicles]
    )
    arrives = times.feasibility[:n_v][:, pickup] <= max_wait_s
    finishes = times.feasibility[:n_v][:, pickup] + direct + service <= left_s[:, None]
    latest = np.array(
        [_latest_pickup_s(r, now, float(d)) for r, d in zip(requests, direct, strict=True)]
    )
    lateness = np.maximum(times.feasibility[:n_v][:, pickup] - latest[None, :], 0.0)
    cost = to_pickup + lateness_weight * lateness
    feasible = carries & arrives & finishes
    # Leaving a request for later costs more than any matching (so the most requests are
    # matched), plus its lateness if it then waits the maximum wait: urgent riders go first.
    most = float(np.where(feasible, cost, 0.0).max(initial=0.0)) * min(n_v, len(requests)) + 1.0
    waiting = lateness_weight * np.maximum(max_wait_s - latest, 0.0)
    result = match(cost, feasible, unmatched_penalty=most + waiting)
    assignments = [
        Assignment(vehicles[v].id, requests[r].id, float(to_pickup[v, r]))
        for r, v in enumerate(result.vehicle_of_request.tolist())
        if v >= 0
    ]
    unmatched = {requests[r].id: reason for r, reason in result.unmatched_reasons.items()}
    return OnDemandResult(assignments, unmatched)


def _latest_pickup_s(request: TripRequest, now: datetime, direct_s: float) -> float:
    """Seconds from ``now`` until the latest pickup start that keeps the request on time."""
    if request.ready_at is not None:
        deadline = request.ready_at + timedelta(seconds=request.pickup_window_s)
        return (deadline - now).total_seconds()
    assert request.appointment_at is not None
    return (request.appointment_at - now).total_seconds() - direct_s - request.board_s
