"""Trips over the store: book, read, cancel, record outcomes, and the will-call."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import APIRouter, Body, Header, Response

from ...domain import STANDARD_TYPES, TripRequest, validate_requests
from ...exceptions import DomainError
from ..deps import StateDep
from ..errors import conflict, invalid, not_found
from ..estimates import estimate, snap
from ..planning import insert_called, planned_stops
from ..schemas import (
    BOOKING_EXAMPLES,
    EventIn,
    EventOut,
    PlannedOut,
    TripOut,
    WillCallIn,
    WillCallOut,
)
from ..state import ServiceState
from ..store import TripRow, now_utc
from . import CONFLICT, INVALID, UNKNOWN

router = APIRouter(prefix="/v1/trips", tags=["trips"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="a client-chosen key: a retry with the same key and body books once",
    ),
]

_TRANSITIONS = {  # event kind -> (statuses it may follow, status it leads to)
    "picked_up": (("booked",), "picked_up"),
    "dropped_off": (("picked_up",), "completed"),
    "no_show": (("booked",), "no_show"),
}


def _stored(state: ServiceState, trip_id: str) -> TripRow:
    assert state.store is not None
    row = state.store.trip(trip_id)
    if row is None:
        raise not_found("trip_id", f"no trip with id {trip_id!r}")
    return row


def _trip_out(state: ServiceState, row: TripRow) -> TripOut:
    assert state.store is not None
    latest = state.store.latest_plan()
    planned = planned_stops(None if latest is None else latest.plan, row.request.id)
    return TripOut(
        id=row.request.id,
        status=row.status,  # type: ignore[arg-type]
        request=row.request,
        created_at=row.created_at,
        updated_at=row.updated_at,
        called_at=row.called_at,
        events=[
            EventOut(kind=e.kind, at=e.at, vehicle_id=e.vehicle_id, recorded_at=e.recorded_at)
            for e in state.store.events_of(row.request.id)
        ],
        planned=None if planned is None else PlannedOut.model_validate(planned),
    )


def _check_booking(state: ServiceState, trip: TripRequest) -> None:
    """Refuse points off the map, an unknown outbound, a need no vehicle type has."""
    assert state.graph is not None and state.store is not None
    snap(
        state.graph, [("pickup", trip.pickup), ("dropoff", trip.dropoff)], state.settings.max_snap_m
    )
    together = [trip]
    if trip.return_of is not None:
        outbound = state.store.trip(trip.return_of)
        if outbound is None:
            raise invalid("return_of", f"names no booked trip ({trip.return_of!r})")
        together.insert(0, outbound.request)
    types = {t.name: t for t in STANDARD_TYPES}
    types |= {v.type.name: v.type for v in state.store.all_vehicles()}
    try:
        validate_requests(together, types.values())
    except DomainError as exc:
        raise invalid(None, str(exc)) from None


@router.post(
    "",
    status_code=201,
    response_model=TripOut,
    responses={**INVALID, **CONFLICT},
    summary="Book a trip",
)
def book(
    trip: Annotated[TripRequest, Body(openapi_examples=BOOKING_EXAMPLES)],
    state: StateDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Book a trip; it is committed to the store before the 201 is sent.

    With an ``Idempotency-Key`` a retry (same key, same body) returns the first answer
    and books nothing more (header ``Idempotent-Replayed: true``); the same key with
    another body is refused (422). Without a key, a second booking of an id is a 409.
    """
    assert state.store is not None
    digest = hashlib.sha256(trip.model_dump_json().encode()).hexdigest()
    # a retry is answered as the first time, whatever has changed since
    booking = None if idempotency_key is None else state.store.replay(idempotency_key, digest)
    if booking is None:
        _check_booking(state, trip)
        now = now_utc()
        body = TripOut(id=trip.id, status="booked", request=trip, created_at=now, updated_at=now)
        booking = state.store.book(
            trip, key=idempotency_key, body_sha256=digest, response=body.model_dump_json(), now=now
        )
    return Response(
        booking.response,
        status_code=201,
        media_type="application/json",
        headers={
            "Location": f"/v1/trips/{trip.id}",
            "Idempotent-Replayed": "true" if booking.replayed else "false",
        },
    )


@router.get("/{trip_id}", response_model=TripOut, responses=UNKNOWN)
def get_trip(trip_id: str, state: StateDep) -> TripOut:
    """A trip's status, events and place in the current plan."""
    return _trip_out(state, _stored(state, trip_id))


@router.delete("/{trip_id}", response_model=TripOut, responses={**UNKNOWN, **CONFLICT})
def cancel(trip_id: str, state: StateDep) -> TripOut:
    """Cancel a booked trip (a trip under way, done or cancelled cannot be: 409).

    The current plan keeps the trip's stops until the next ``POST /v1/plan``.
    """
    assert state.store is not None
    row = _stored(state, trip_id)
    if not state.store.set_status(trip_id, "cancelled", expected=("booked",), now=now_utc()):
        current = _stored(state, trip_id).status
        raise conflict(
            "trip_id", f"trip {trip_id!r} is {current}; only a booked trip can be cancelled"
        )
    return _trip_out(state, _stored(state, row.request.id))


@router.post(
    "/{trip_id}/events",
    status_code=201,
    response_model=TripOut,
    responses={**INVALID, **UNKNOWN, **CONFLICT},
)
def add_event(trip_id: str, event: EventIn, state: StateDep) -> TripOut:
    """Record a pickup, a dropoff or a no-show at its real time.

    A pickup stores the model's prediction of the ride; the dropoff then records the
    real ride time as an outcome, which the model monitor and retraining learn from.
    """
    assert state.store is not None
    row = _stored(state, trip_id)
    allowed, status = _TRANSITIONS[event.kind]
    picked_at = _picked_up_at(state, trip_id) if event.kind == "dropped_off" else None
    if picked_at is not None and event.at <= picked_at:
        raise invalid("at", f"dropped off at {event.at}, not after the pickup at {picked_at}")
    recorded = state.store.add_event(
        trip_id,
        event.kind,
        event.at,
        vehicle_id=event.vehicle_id,
        status=status,
        expected=allowed,
        now=now_utc(),
    )
    if not recorded:
        current = _stored(state, trip_id).status
        raise conflict("kind", f"cannot record {event.kind} for a trip that is {current}")
    observed = event.observations.as_columns() if event.observations else {}
    if event.kind == "picked_up":
        _predict_ride(state, row.request, event.at, observed)
    elif picked_at is not None:
        _record_outcome(state, row.request, picked_at, event.at, observed)
    return _trip_out(state, _stored(state, trip_id))


def _picked_up_at(state: ServiceState, trip_id: str) -> datetime | None:
    assert state.store is not None
    times = [e.at for e in state.store.events_of(trip_id) if e.kind == "picked_up"]
    return times[-1] if times else None


def _predict_ride(
    state: ServiceState, trip: TripRequest, departure: datetime, observed: dict[str, float]
) -> None:
    """Predict the ride from pickup to dropoff leaving now, and store it for the monitor."""
    assert state.graph is not None and state.store is not None
    graph, live = state.graph, state.live
    places = [("pickup", trip.pickup), ("dropoff", trip.dropoff)]
    nodes = snap(graph, places, state.settings.max_snap_m)
    result = state.cpu(
        lambda: estimate(
            graph, live.model, nodes[:1], nodes[1:], [departure], [observed], state.route_table
        )
    )
    features = result.features.iloc[0].astype(float)
    state.store.add_prediction(
        trip.id,
        model_version=live.version,
        departure=departure,
        p50_s=float(result.p50_s[0]),
        p90_s=float(result.p90_s[0]),
        free_flow_s=float(result.free_flow_s[0]),
        features={k: (None if np.isnan(v) else float(v)) for k, v in features.items()},
        now=now_utc(),
    )


def _record_outcome(
    state: ServiceState,
    trip: TripRequest,
    picked_at: datetime,
    dropped_at: datetime,
    observed: dict[str, float],
) -> None:
    """Store the real ride time and give it to the live monitor."""
    assert state.store is not None
    duration = (dropped_at - picked_at).total_seconds()
    prediction = state.store.latest_prediction(trip.id)
    state.store.add_outcome(
        trip.id,
        prediction_id=None if prediction is None else prediction.id,
        pickup_time=picked_at,
        origin=(trip.pickup.lat, trip.pickup.lon),
        dest=(trip.dropoff.lat, trip.dropoff.lon),
        duration_s=duration,
        observations=observed,
        now=now_utc(),
    )
    live = state.live
    if prediction is not None and prediction.model_version == live.version:
        live.record(
            [prediction.departure],
            [prediction.p50_s],
            [prediction.p90_s],
            [duration],
            pd.DataFrame([prediction.features], dtype=float),
        )
        state.update_gauges(live)


@router.post(
    "/{trip_id}/will-call",
    response_model=WillCallOut,
    responses={**INVALID, **UNKNOWN, **CONFLICT},
)
def will_call(trip_id: str, call: WillCallIn, state: StateDep) -> WillCallOut:
    """The rider is ready: open the return's pickup window and insert it into the live plan."""
    assert state.store is not None
    row = _stored(state, trip_id)
    if not row.request.will_call:
        raise conflict("trip_id", f"trip {trip_id!r} is not a will-call return")
    if row.status != "booked":
        raise conflict("trip_id", f"trip {trip_id!r} is {row.status}, not booked")
    if row.called_at is not None:
        raise conflict(
            "trip_id", f"the rider of trip {trip_id!r} called already at {row.called_at}"
        )
    if row.request.appointment_at is not None:
        raise conflict("trip_id", f"trip {trip_id!r} is arrive-by; a will-call is ready-by")
    if not state.store.all_vehicles():
        raise conflict(None, "no vehicles are registered: PUT /v1/vehicles/{id} first")
    ready_at = call.ready_at or now_utc()
    called = TripRequest.model_validate({**row.request.model_dump(), "ready_at": ready_at})
    state.store.call(called, now=now_utc())
    with state.plan_lock:
        plan_id = state.solve(lambda: insert_called(state, called, call.time_limit_s))
    assert state.day_plan is not None
    reason = next(
        (u.reason.value for u in state.day_plan.unassigned if u.request_id == trip_id), None
    )
    return WillCallOut(
        trip=_trip_out(state, _stored(state, trip_id)), plan_id=plan_id, unassigned_reason=reason
    )
