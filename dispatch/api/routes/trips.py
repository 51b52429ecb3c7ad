"""Trips over the store: book, read, cancel, record outcomes, and the will-call."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Header, Response

from ...domain import TripRequest
from .. import trip_lifecycle as lifecycle
from ..deps import ServiceDep
from ..schemas import BOOKING_EXAMPLES, EventIn, TripOut, WillCallIn, WillCallOut
from . import CONFLICT, INVALID, UNKNOWN, TripId

router = APIRouter(prefix="/v1/trips", tags=["trips"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description="a client-chosen key: a retry with the same key and body books once",
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=TripOut,
    responses={**INVALID, **CONFLICT},
    summary="Book a trip",
)
def book(
    trip: Annotated[TripRequest, Body(openapi_examples=BOOKING_EXAMPLES)],
    service: ServiceDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Book a trip; it is committed to the store before the 201 is sent.

    With an ``Idempotency-Key`` a retry (same key, same body) within
    ``DISPATCH_IDEMPOTENCY_TTL_H`` hours (default 24) returns the first answer and books
    nothing more (header ``Idempotent-Replayed: true``); the same key with another body is
    refused (422). Without a key, or after it expired, a second booking of an id is a 409.
    """
    booking = lifecycle.book(service, trip, idempotency_key)
    return Response(
        booking.response,
        status_code=201,
        media_type="application/json",
        headers={
            "Location": f"/v1/trips/{quote(trip.id, safe='')}",
            "Idempotent-Replayed": "true" if booking.replayed else "false",
        },
    )


@router.get("/{trip_id}", response_model=TripOut, responses=UNKNOWN)
def get_trip(trip_id: TripId, service: ServiceDep) -> TripOut:
    """A trip's status, events and place in the current plan."""
    return lifecycle.describe(service, trip_id)


@router.delete("/{trip_id}", response_model=TripOut, responses={**UNKNOWN, **CONFLICT})
def cancel(trip_id: TripId, service: ServiceDep) -> TripOut:
    """Cancel a booked trip (a trip under way, done or cancelled cannot be: 409).

    The current plan keeps the trip's stops until the next ``POST /v1/plan``.
    """
    return lifecycle.cancel(service, trip_id)


@router.post(
    "/{trip_id}/events",
    status_code=201,
    response_model=TripOut,
    responses={**INVALID, **UNKNOWN, **CONFLICT},
)
def add_event(trip_id: TripId, event: EventIn, service: ServiceDep) -> TripOut:
    """Record a pickup, a dropoff or a no-show at its real time.

    A pickup stores the model's prediction of the ride; the dropoff then records the
    real ride time as an outcome, which the model monitor and retraining learn from.
    """
    return lifecycle.record_event(
        service,
        trip_id,
        event.kind,
        event.at,
        vehicle_id=event.vehicle_id,
        observed=event.observations.as_columns() if event.observations else {},
    )


@router.post(
    "/{trip_id}/will-call",
    response_model=WillCallOut,
    responses={**INVALID, **UNKNOWN, **CONFLICT},
)
def will_call(trip_id: TripId, call: WillCallIn, service: ServiceDep) -> WillCallOut:
    """The rider is ready: open the return's pickup window and insert it into the live plan."""
    return lifecycle.will_call(service, trip_id, call.ready_at, call.time_limit_s)
