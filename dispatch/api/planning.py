"""The live plan over the store: plan the open trips, insert a called will-call return.

The current plan is the latest one stored. The solver's own view of it (a
:class:`~dispatch.planner.DayPlan`) is kept in memory so that a will-call return is
inserted into it live, without moving riders already on board; after a restart there is
none, and a will-call then re-plans every open trip.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..domain import StopKind, TripRequest, Vehicle
from ..exceptions import NoVehiclesError
from ..planner import DayPlan
from ..triage import set_aside
from .solver_jobs import insert_job, plan_job
from .state import LoadedService
from .store import Store, TripRow, now_utc
from .trip_states import DROPOFF_DONE, OPEN, PICKUP_DONE, BookingStatus


def open_requests(rows: list[TripRow]) -> list[TripRequest]:
    """Requests to plan: booked trips, except will-call returns whose rider has not called."""
    waiting = [r.request for r in rows if not (r.request.will_call and r.called_at is None)]
    return detached(waiting, {r.id for r in waiting})


def detached(requests: list[TripRequest], planned: set[str]) -> list[TripRequest]:
    """The requests, a return whose outbound is not among ``planned`` ids cut loose from it.

    An outbound that is done (or under way) is no longer part of the problem; its return
    is then planned on its own times, which already follow the outbound's.
    """
    return [
        r
        if r.return_of is None or r.return_of in planned
        else r.model_copy(update={"return_of": None})
        for r in requests
    ]


def plan_body(day: DayPlan, model_version: str | None) -> dict[str, Any]:
    """The JSON stored for a plan (the fields of :class:`~dispatch.api.schemas.PlanOut`)."""
    return {
        "routes": [r.model_dump(mode="json") for r in day.routes],
        "unassigned": [u.model_dump(mode="json") for u in day.unassigned],
        "method": day.method,
        "solve_seconds": day.solve_seconds,
        "model_version": model_version,
    }


def registered_vehicles(store: Store) -> list[Vehicle]:
    """Every registered vehicle; :class:`NoVehiclesError` when there is none."""
    vehicles = store.all_vehicles()
    if not vehicles:
        msg = "no vehicles are registered"
        raise NoVehiclesError(msg)
    return vehicles


def replan(
    service: LoadedService, time_limit_s: float, *, risk_aware: bool, reason: str
) -> tuple[int, DayPlan]:
    """Plan every open trip on every registered vehicle; store it as current; its id and it.

    A trip no vehicle can serve is left unassigned with its reason, outside the solve.
    """
    vehicles = registered_vehicles(service.store)
    requests, impossible = set_aside(open_requests(service.store.trips_with_status(OPEN)), vehicles)
    requests = detached(requests, {r.id for r in requests})
    model = service.state.model_ref()
    day = service.state.solver.run(plan_job, requests, vehicles, model, risk_aware, time_limit_s)
    day = replace(day, unassigned=[*day.unassigned, *impossible])
    service.state.metrics.solver.labels("plan").observe(day.solve_seconds)
    return _keep(service, day, reason, model.version), day


def insert_called(
    service: LoadedService, request: TripRequest, time_limit_s: float
) -> tuple[int, DayPlan]:
    """Insert a called will-call return into the live plan (or re-plan); the new plan's id
    and the plan."""
    day = service.state.day_plan
    if day is None:
        return replan(service, time_limit_s, risk_aware=False, reason=f"will-call {request.id}")
    (request,) = detached([request], {r.id for r in day.requests})
    _, impossible = set_aside([request], day.vehicles)
    if impossible:
        kept = replace(day, unassigned=[*day.unassigned, *impossible])
        return _keep(service, kept, f"will-call {request.id}", service.state.live.version), kept
    model = service.state.model_ref()
    done = _done_stops(service.store, day)
    new = service.state.solver.run(insert_job, day, request, model, done, time_limit_s)
    service.state.metrics.solver.labels("insert").observe(new.solve_seconds)
    return _keep(service, new, f"will-call {request.id}", model.version), new


def _keep(service: LoadedService, day: DayPlan, reason: str, model_version: str | None) -> int:
    plan_id = service.store.save_plan(plan_body(day, model_version), reason, now=now_utc())
    service.state.day_plan = day
    return plan_id


def _done_stops(store: Store, day: DayPlan) -> dict[str, int]:
    """Per vehicle, how many stops at the head of its route are done (from the trip statuses)."""
    status: dict[str, BookingStatus] = {}
    for request in day.requests:
        row = store.trip(request.id)
        status[request.id] = BookingStatus.CANCELLED if row is None else row.status
    done: dict[str, int] = {}
    for route in day.routes:
        count = 0
        for stop in route.stops[1:]:
            finished = PICKUP_DONE if stop.kind is StopKind.PICKUP else DROPOFF_DONE
            if stop.kind is StopKind.DEPOT or status.get(stop.request_id or "") not in finished:
                break
            count += 1
        done[route.vehicle_id] = count
    return done


def planned_stops(plan: dict[str, Any] | None, trip_id: str) -> dict[str, Any] | None:
    """The vehicle and planned pickup and dropoff times of a trip in a stored plan."""
    if plan is None:
        return None
    for route in plan["routes"]:
        stops = {s["kind"]: s for s in route["stops"] if s.get("request_id") == trip_id}
        if stops:
            pickup, dropoff = stops.get("pickup", {}), stops.get("dropoff", {})
            return {
                "vehicle_id": route["vehicle_id"],
                "pickup_start": pickup.get("planned_start"),
                "pickup_p90_arrival": pickup.get("p90_arrival"),
                "dropoff_arrival": dropoff.get("planned_arrival"),
                "dropoff_p90_arrival": dropoff.get("p90_arrival"),
            }
    return None
