"""The KPIs a NEMT provider is judged on, from one simulated day.

Definitions (times in seconds, rates in [0, 1]):

- on-time pickup: a ready-by trip (a return, a will-call, a same-day trip) picked up at
  most ``on_time_window_s`` after its ready time; pickup lateness is how long after.
- on-time appointment arrival: an arrive-by trip dropped off no later than the appointment;
  the booked rate counts every arrive-by trip but no-shows and cancellations, an unserved one
  as late (a policy cannot reach it by declining trips; fleet sizing targets it).
- ride time: from the end of boarding to arrival at the dropoff; over direct time: divided
  by the true direct drive at the pickup time.
- will-call response: from the rider's call to the start of the pickup.
- vehicle revenue hours: per vehicle, from its first pickup to its last dropoff.
- deadhead share: distance driven with nobody on board over all distance driven.
- utilisation: time with at least one rider on board over the fleet's shift hours.
- plan ETA error: the policy's predicted duration of each drive minus the true one.
- solver time: wall-clock seconds per call into the policy.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .engine import DayResult
from .view import SimTrip, TripPhase

ON_TIME_WINDOW_S = 900.0
_CALLED_OFF = (TripPhase.NO_SHOW, TripPhase.CANCELLED)


def day_kpis(result: DayResult, on_time_window_s: float = ON_TIME_WINDOW_S) -> dict[str, Any]:
    """The KPIs of one day (see the module docstring), as a JSON-ready dict."""
    trips = result.trips
    served = [r for r in trips if r.phase is TripPhase.SERVED]
    phases = Counter(r.phase.value for r in trips)
    ready_by = [r for r in served if r.trip.ready_s is not None]
    lateness = np.array([max(_pickup(r) - (r.trip.ready_s or 0.0), 0.0) for r in ready_by])
    arrive_by = [r for r in served if r.trip.appointment_s is not None]
    appointment_late = np.array(
        [(r.dropoff_s or 0.0) - (r.trip.appointment_s or 0.0) for r in arrive_by]
    )
    booked_arrive_by = sum(
        r.trip.appointment_s is not None and r.phase not in _CALLED_OFF for r in trips
    )
    ride = np.array([(r.dropoff_s or 0.0) - _pickup(r) - r.trip.board_s for r in served])
    direct = np.array([max(r.direct_s or 0.0, 1.0) for r in served])
    will_calls = [_pickup(r) - r.trip.booked_s for r in served if r.trip.kind == "will_call_return"]
    revenue_h = _revenue_hours(result)
    distance = sum(leg.distance_m for leg in result.legs)
    empty = sum(leg.distance_m for leg in result.legs if leg.riders == 0)
    occupied = sum(a.end_s - a.start_s for a in result.activities if a.riders > 0)
    shift_h = sum(v.shift_end_s - v.shift_start_s for v in result.fleet) / 3600
    error = np.array([leg.predicted_s - (leg.arrive_s - leg.depart_s) for leg in result.legs])
    solver = np.array([d.seconds for d in result.decisions])
    return {
        "policy": result.policy,
        "day": result.day,
        "requested": len(trips),
        "served": len(served),
        "unserved": phases.get(TripPhase.UNSERVED.value, 0),
        "no_shows": phases.get(TripPhase.NO_SHOW.value, 0),
        "cancelled": phases.get(TripPhase.CANCELLED.value, 0),
        "unserved_reasons": dict(
            Counter(r.reason or "unknown" for r in trips if r.phase is TripPhase.UNSERVED)
        ),
        "on_time_pickup_rate": _mean(lateness <= on_time_window_s),
        "pickup_lateness_p50_s": _percentile(lateness, 50),
        "pickup_lateness_p95_s": _percentile(lateness, 95),
        "on_time_appointment_rate": _mean(appointment_late <= 0.0),
        "booked_on_time_appointment_rate": round(
            int(np.sum(appointment_late <= 0.0)) / booked_arrive_by, 4
        )
        if booked_arrive_by
        else None,
        "appointment_lateness_p95_s": _percentile(np.maximum(appointment_late, 0.0), 95),
        "ride_time_mean_s": _mean(ride),
        "ride_over_direct_mean": _mean(ride / direct),
        "will_call_response_mean_s": _mean(np.array(will_calls)),
        "will_call_response_p90_s": _percentile(np.array(will_calls), 90),
        "vehicles_used": len({leg.vehicle_id for leg in result.legs}),
        "revenue_hours": round(revenue_h, 3),
        "riders_per_revenue_hour": round(len(served) / revenue_h, 4) if revenue_h else None,
        "deadhead_share": round(empty / distance, 4) if distance else None,
        "distance_km": round(distance / 1000, 3),
        "utilisation": round(occupied / 3600 / shift_h, 4) if shift_h else None,
        "eta_mae_s": _mean(np.abs(error)),
        "eta_bias_s": _mean(error),
        "decisions": len(solver),
        "solver_mean_s": _mean(solver),
        "solver_p95_s": _percentile(solver, 95),
        "solver_max_s": round(float(solver.max()), 4) if solver.size else None,
        "solver_total_s": round(float(solver.sum()), 3),
    }


def _pickup(record: SimTrip) -> float:
    return record.pickup_s if record.pickup_s is not None else float("nan")


def _revenue_hours(result: DayResult) -> float:
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for r in result.trips:
        if r.phase is TripPhase.SERVED and r.vehicle_id is not None:
            vehicle = r.vehicle_id
            first[vehicle] = min(first.get(vehicle, np.inf), _pickup(r))
            last[vehicle] = max(last.get(vehicle, -np.inf), r.dropoff_s or 0.0)
    return sum(last[v] - first[v] for v in first) / 3600


def _mean(values: np.ndarray) -> float | None:
    return round(float(np.mean(values)), 4) if np.size(values) else None


def _percentile(values: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if np.size(values) else None


# KPIs that measure the machine rather than the day: left out when comparing runs.
TIMING_KPIS = ("solver_mean_s", "solver_p95_s", "solver_max_s", "solver_total_s")
