"""The lifecycle of a booked trip: book, describe, cancel, record events, call a will-call.

A booking is checked against the map, its outbound and the vehicle types, and committed
with its answer (so a retry with the same idempotency key replays it). Events move a trip
along :data:`~dispatch.api.trip_states.TRANSITIONS`: a pickup stores the model's
prediction of the ride, the dropoff its real duration, which feeds the model monitor and
retraining. A called will-call return is inserted into the live plan.

Failures raise :mod:`dispatch.exceptions` errors, never HTTP ones: ``TripNotFoundError``,
``TripStateError`` (the trip's status forbids it), ``TripInputError`` (the input
contradicts the stored trips), ``NoVehiclesError`` and ``OffMapError``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd

from ..domain import STANDARD_TYPES, TripRequest, validate_requests
from ..exceptions import DomainError, TripInputError, TripStateError
from .estimates import estimate, snap
from .planning import insert_called, planned_stops, registered_vehicles
from .schemas import EventOut, PlannedOut, TripOut, WillCallOut
from .state import LoadedService
from .store import Booking, Store, TripRow, now_utc
from .time_window import check_in_window, check_recent, trip_times
from .trip_states import CANCEL, OPEN, TRANSITIONS, BookingStatus, EventKind


def book(service: LoadedService, trip: TripRequest, idempotency_key: str | None) -> Booking:
    """Book ``trip``, committed to the store before this returns; the answer to send.

    With an idempotency key, a retry (same key, same body) within the key's time to live
    replays the first answer and books nothing more; the same key with another body raises
    :class:`~dispatch.exceptions.IdempotencyMismatchError`. Without a key (or once it has
    expired), a second booking of an id raises :class:`~dispatch.exceptions.DuplicateTripError`.
    """
    digest = hashlib.sha256(trip.model_dump_json().encode()).hexdigest()
    since = now_utc() - service.settings.idempotency_ttl()
    booking = (
        None
        if idempotency_key is None
        else service.store.replay(idempotency_key, digest, since=since)
    )
    if booking is not None:
        # a retry is answered as the first time, unless the trip has moved on since
        row = service.trip(trip.id)
        if TripOut.model_validate_json(booking.response).status is not row.status:
            booking = Booking(_trip_out(service, row).model_dump_json(), replayed=True)
    else:
        _check_booking(service, trip)
        now = now_utc()
        body = TripOut(
            id=trip.id, status=BookingStatus.BOOKED, request=trip, created_at=now, updated_at=now
        )
        booking = service.store.book(
            trip,
            key=idempotency_key,
            body_sha256=digest,
            response=body.model_dump_json(),
            now=now,
            keys_since=since,
        )
    return booking


def describe(service: LoadedService, trip_id: str) -> TripOut:
    """A trip's status, events and place in the current plan."""
    return _trip_out(service, service.trip(trip_id))


def cancel(service: LoadedService, trip_id: str) -> TripOut:
    """Cancel a booked trip; a trip under way, done or cancelled raises TripStateError."""
    service.trip(trip_id)  # an unknown id is a TripNotFoundError, not a state error
    if not service.store.set_status(trip_id, CANCEL.to, expected=CANCEL.after, now=now_utc()):
        current = service.trip(trip_id).status
        msg = f"trip {trip_id!r} is {current}; only a booked trip can be cancelled"
        raise TripStateError(msg, field="trip_id")
    return describe(service, trip_id)


def record_event(
    service: LoadedService,
    trip_id: str,
    kind: EventKind,
    at: datetime,
    *,
    vehicle_id: str | None,
    observed: dict[str, float],
) -> TripOut:
    """Record a pickup, a dropoff or a no-show at its real time; the trip after it.

    A pickup stores the model's prediction of the ride; the dropoff then stores the real
    ride time as an outcome and gives it to the model monitor.
    """
    check_recent("at", at, service.settings, now_utc())
    row = service.trip(trip_id)
    move = TRANSITIONS[kind]
    picked_at = _picked_up_at(service.store, trip_id) if kind is EventKind.DROPPED_OFF else None
    if picked_at is not None and at <= picked_at:
        msg = f"dropped off at {at}, not after the pickup at {picked_at}"
        raise TripInputError(msg, field="at")
    recorded = service.store.add_event(
        trip_id,
        kind,
        at,
        vehicle_id=vehicle_id,
        status=move.to,
        expected=move.after,
        now=now_utc(),
    )
    if not recorded:
        current = service.trip(trip_id).status
        msg = f"cannot record {kind} for a trip that is {current}"
        raise TripStateError(msg, field="kind")
    if kind is EventKind.PICKED_UP:
        _predict_ride(service, row.request, at, observed)
    elif picked_at is not None:
        _record_outcome(service, row.request, picked_at, at, observed)
    return describe(service, trip_id)


def will_call(
    service: LoadedService, trip_id: str, ready_at: datetime | None, time_limit_s: float
) -> WillCallOut:
    """The rider of a will-call return is ready at ``ready_at`` (default: now): open its
    pickup window and insert it into the live plan."""
    row = service.trip(trip_id)
    _check_callable(row)
    check_in_window([("ready_at", ready_at)], service.settings, now_utc())
    registered_vehicles(service.store)
    ready_at = ready_at or now_utc()
    called = TripRequest.model_validate({**row.request.model_dump(), "ready_at": ready_at})
    service.store.call(called, now=now_utc())
    with service.state.plan_lock:
        plan_id, day = insert_called(service, called, time_limit_s)
    reason = next((u.reason.value for u in day.unassigned if u.request_id == trip_id), None)
    return WillCallOut(trip=describe(service, trip_id), plan_id=plan_id, unassigned_reason=reason)


def _trip_out(service: LoadedService, row: TripRow) -> TripOut:
    latest = service.store.latest_plan()
    planned = planned_stops(None if latest is None else latest.plan, row.request.id)
    return TripOut(
        id=row.request.id,
        status=row.status,
        request=row.request,
        created_at=row.created_at,
        updated_at=row.updated_at,
        called_at=row.called_at,
        events=[
            EventOut(kind=e.kind, at=e.at, vehicle_id=e.vehicle_id, recorded_at=e.recorded_at)
            for e in service.store.events_of(row.request.id)
        ],
        planned=None if planned is None else PlannedOut.model_validate(planned),
    )


def _check_booking(service: LoadedService, trip: TripRequest) -> None:
    """Refuse times outside the service window, points off the map, an unknown outbound,
    a need no vehicle type has."""
    check_in_window(trip_times(trip), service.settings, now_utc())
    places = [("pickup", trip.pickup), ("dropoff", trip.dropoff)]
    snap(service.graph, places, service.settings.max_snap_m)
    together = [trip]
    if trip.return_of is not None:
        outbound = service.store.trip(trip.return_of)
        if outbound is None:
            msg = f"names no booked trip ({trip.return_of!r})"
            raise TripInputError(msg, field="return_of")
        together.insert(0, outbound.request)
    types = {t.name: t for t in STANDARD_TYPES}
    types |= {v.type.name: v.type for v in service.store.all_vehicles()}
    try:
        validate_requests(together, types.values())
    except DomainError as exc:
        raise TripInputError(str(exc)) from None


def _check_callable(row: TripRow) -> None:
    """Refuse a call of a trip that is no open, uncalled, ready-by will-call return."""
    trip_id = row.request.id
    if not row.request.will_call:
        msg = f"trip {trip_id!r} is not a will-call return"
    elif row.status not in OPEN:
        msg = f"trip {trip_id!r} is {row.status}, not booked"
    elif row.called_at is not None:
        msg = f"the rider of trip {trip_id!r} called already at {row.called_at}"
    elif row.request.appointment_at is not None:
        msg = f"trip {trip_id!r} is arrive-by; a will-call is ready-by"
    else:
        return
    raise TripStateError(msg, field="trip_id")


def _picked_up_at(store: Store, trip_id: str) -> datetime | None:
    times = [e.at for e in store.events_of(trip_id) if e.kind is EventKind.PICKED_UP]
    return times[-1] if times else None


def _predict_ride(
    service: LoadedService, trip: TripRequest, departure: datetime, observed: dict[str, float]
) -> None:
    """Predict the ride from pickup to dropoff leaving now, and store it for the monitor."""
    graph, state = service.graph, service.state
    live = state.live
    places = [("pickup", trip.pickup), ("dropoff", trip.dropoff)]
    nodes = snap(graph, places, service.settings.max_snap_m)
    result = state.cpu(
        lambda: estimate(
            graph, live.model, nodes[:1], nodes[1:], [departure], [observed], state.route_table
        )
    )
    features = result.features.iloc[0].astype(float)
    service.store.add_prediction(
        trip.id,
        model_version=live.version,
        departure=departure,
        p50_s=float(result.p50_s[0]),
        p90_s=float(result.p90_s[0]),
        free_flow_s=float(result.free_flow_s[0]),
        features={str(k): (None if np.isnan(v) else float(v)) for k, v in features.items()},
        now=now_utc(),
    )


def _record_outcome(
    service: LoadedService,
    trip: TripRequest,
    picked_at: datetime,
    dropped_at: datetime,
    observed: dict[str, float],
) -> None:
    """Store the real ride time and give it to the live monitor."""
    duration = (dropped_at - picked_at).total_seconds()
    prediction = service.store.latest_prediction(trip.id)
    service.store.add_outcome(
        trip.id,
        prediction_id=None if prediction is None else prediction.id,
        pickup_time=picked_at,
        origin=(trip.pickup.lat, trip.pickup.lon),
        dest=(trip.dropoff.lat, trip.dropoff.lon),
        duration_s=duration,
        observations=observed,
        now=now_utc(),
    )
    live = service.state.live
    if prediction is not None and prediction.model_version == live.version:
        live.record(
            [prediction.departure],
            [prediction.p50_s],
            [prediction.p90_s],
            [duration],
            pd.DataFrame([prediction.features], dtype=float),
        )
        service.state.update_gauges(live)
