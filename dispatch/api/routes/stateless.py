"""Stateless answers: ETAs, routes, on-demand matching and day scheduling."""

from __future__ import annotations

import time

import numpy as np
from fastapi import APIRouter, Request, Response

import routing

from ...domain import Location, TripRequest
from .. import json_body
from ..deps import ServiceDep, get_batcher, loaded_service
from ..errors import invalid
from ..estimates import estimate, snap
from ..schemas import (
    ETA_REQUEST,
    AssignmentOut,
    EtaResponse,
    LineString,
    MatchRequest,
    MatchResponse,
    PlanOut,
    RouteRequest,
    RouteResponse,
    ScheduleRequest,
    UnmatchedOut,
    VehicleIn,
)
from ..settings import ServiceSettings
from ..solver_jobs import match_job, plan_job
from ..store import now_utc
from ..time_window import check_in_window, trip_times, vehicle_times
from . import INVALID

router = APIRouter(prefix="/v1", tags=["stateless"])


@router.post(
    "/eta",
    response_model=EtaResponse,
    responses=INVALID,
    openapi_extra=json_body.documented(ETA_REQUEST),
)
async def eta(request: Request) -> Response:
    """P50 and P90 driving seconds, free-flow seconds and distance for each drive.

    Concurrent requests are answered together in batches, away from the event loop
    (see ``dispatch.api.batching``): this is the endpoint apps call most.
    """
    service, batcher = loaded_service(request), get_batcher(request)
    answer = await batcher.answer(await request.body())
    service.state.metrics.eta_pairs.inc(answer.n_pairs)
    return Response(answer.body, status_code=answer.status, media_type="application/json")


@router.post("/route", response_model=RouteResponse, responses=INVALID)
async def route(body: RouteRequest, service: ServiceDep) -> RouteResponse:
    """The fastest route: its road geometry, free-flow time and length (and P50/P90)."""
    graph, state = service.graph, service.state
    live = state.live

    def work() -> RouteResponse:
        origin, dest = snap(
            graph,
            [("origin", body.origin), ("destination", body.destination)],
            service.settings.max_snap_m,
        ).tolist()
        path = routing.shortest_path(graph, origin, dest)
        lat, lon = path.geometry(graph)
        answer = RouteResponse(
            travel_time_s=path.travel_time_s,
            distance_m=path.length_m,
            geometry=LineString(coordinates=list(zip(lon.tolist(), lat.tolist(), strict=True))),
        )
        if body.departure is not None:
            observed = body.observations.as_columns() if body.observations else {}
            result = estimate(
                graph,
                live.model,
                np.array([origin], dtype=np.int32),
                np.array([dest], dtype=np.int32),
                [body.departure],
                [observed],
                state.route_table,
            )
            answer.p50_s = float(result.p50_s[0])
            answer.p90_s = float(result.p90_s[0])
            answer.model_version = live.version
        return answer

    return await state.compute(work)


def _check_unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, item_id in enumerate(ids):
        if item_id in seen:
            raise invalid(f"{kind}.{i}.id", f"id {item_id!r} appears more than once")
        seen.add(item_id)


def _vehicle_places(vehicles: list[VehicleIn]) -> list[tuple[str, Location]]:
    places: list[tuple[str, Location]] = []
    for i, v in enumerate(vehicles):
        places.append((f"vehicles.{i}.depot", v.depot))
        if v.position is not None:
            places.append((f"vehicles.{i}.position", v.position))
    return places


def _fleet_and_request_places(
    vehicles: list[VehicleIn], requests: list[TripRequest], settings: ServiceSettings
) -> list[tuple[str, Location]]:
    """Refuse repeated ids and times outside the service window; every place of the fleet
    and the requests, named by its field."""
    _check_unique("vehicles", [v.id for v in vehicles])
    _check_unique("requests", [r.id for r in requests])
    now = now_utc()
    for i, v in enumerate(vehicles):
        check_in_window(vehicle_times(v, f"vehicles.{i}."), settings, now)
    for i, r in enumerate(requests):
        check_in_window(trip_times(r, f"requests.{i}."), settings, now)
    return _vehicle_places(vehicles) + [
        place
        for i, r in enumerate(requests)
        for place in ((f"requests.{i}.pickup", r.pickup), (f"requests.{i}.dropoff", r.dropoff))
    ]


def _check_size(
    kind: str, vehicles: list[VehicleIn], requests: list[TripRequest], limits: tuple[int, int]
) -> None:
    """Refuse a problem larger than the service's caps for ``kind`` (422 naming the field)."""
    for field, items, cap in (("vehicles", vehicles, limits[0]), ("requests", requests, limits[1])):
        if len(items) > cap:
            msg = f"{len(items)} {field} exceed the limit of {cap} per {kind} call"
            raise invalid(field, msg)


@router.post("/match", response_model=MatchResponse, responses=INVALID)
async def match(body: MatchRequest, service: ServiceDep) -> MatchResponse:
    """Assign free vehicles to open requests now; each unmatched request gets a reason."""
    settings, state = service.settings, service.state
    _check_size(
        "/v1/match",
        body.vehicles,
        body.requests,
        (settings.max_match_vehicles, settings.max_match_requests),
    )
    check_in_window([("now", body.now)], settings, now_utc())
    places = _fleet_and_request_places(body.vehicles, body.requests, settings)
    await state.compute(lambda: snap(service.graph, places, settings.max_snap_m))
    model = state.model_ref()
    started = time.perf_counter()
    result = await state.solver.run_async(
        match_job,
        [v.to_domain() for v in body.vehicles],
        body.requests,
        model,
        body.now,
        body.max_wait_s,
    )
    state.metrics.solver.labels("match").observe(time.perf_counter() - started)
    return MatchResponse(
        assignments=[
            AssignmentOut(
                vehicle_id=a.vehicle_id,
                request_id=a.request_id,
                seconds_to_pickup=a.seconds_to_pickup,
            )
            for a in result.assignments
        ],
        unmatched=[
            UnmatchedOut(request_id=rid, reason=reason.value)
            for rid, reason in result.unmatched.items()
        ],
        model_version=model.version,
    )


@router.post("/schedule", response_model=PlanOut, responses=INVALID)
async def schedule(body: ScheduleRequest, service: ServiceDep) -> PlanOut:
    """Plan a day's requests on the fleet within the time budget; reasons for the rest."""
    settings, state = service.settings, service.state
    _check_size(
        "/v1/schedule",
        body.vehicles,
        body.requests,
        (settings.max_schedule_vehicles, settings.max_schedule_requests),
    )
    places = _fleet_and_request_places(body.vehicles, body.requests, settings)
    await state.compute(lambda: snap(service.graph, places, settings.max_snap_m))
    model = state.model_ref()
    day = await state.solver.run_async(
        plan_job,
        body.requests,
        [v.to_domain() for v in body.vehicles],
        model,
        body.risk_aware,
        body.time_limit_s,
    )
    state.metrics.solver.labels("schedule").observe(day.solve_seconds)
    return PlanOut(
        routes=day.routes,
        unassigned=day.unassigned,
        method=day.method,
        solve_seconds=day.solve_seconds,
        model_version=model.version,
    )
