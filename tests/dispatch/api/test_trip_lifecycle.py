"""The trip lifecycle without HTTP: its state table and the dispatch errors it raises."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import datetime

import pytest

from dispatch.api import ServiceSettings, ServiceState, create_app
from dispatch.api import trip_lifecycle as lifecycle
from dispatch.api.state import LoadedService
from dispatch.api.trip_states import TRANSITIONS, BookingStatus, EventKind
from dispatch.domain import TripRequest
from dispatch.exceptions import (
    NoVehiclesError,
    OffMapError,
    TripInputError,
    TripNotFoundError,
    TripStateError,
)
from tests.stores import BACKENDS

from .helpers import CLINIC, HOME, OFF_MAP, trip

AT = datetime.fromisoformat("2026-03-02T09:00:00-05:00")


@pytest.fixture
def service(settings: ServiceSettings) -> Iterator[LoadedService]:
    """A loaded service on a fresh store, used directly (no app, no HTTP)."""
    state = ServiceState(settings)
    assert state.loaded() is None
    state.load()
    loaded = state.loaded()
    assert loaded is not None
    yield loaded
    state.close()


def _book(service: LoadedService, trip_id: str, **extra: object) -> None:
    lifecycle.book(service, TripRequest.model_validate(trip(trip_id, **extra)), None)


def test_every_event_kind_moves_a_trip() -> None:
    """The state table covers every event kind; enum values are the wire format."""
    assert set(TRANSITIONS) == set(EventKind)
    assert [s.value for s in BookingStatus] == [
        "booked",
        "picked_up",
        "completed",
        "cancelled",
        "no_show",
    ]
    assert [k.value for k in EventKind] == ["picked_up", "dropped_off", "no_show"]


def test_openapi_lists_the_enum_values() -> None:
    """The served schema names the same status and event values as before the enums."""
    schemas = create_app(ServiceSettings()).openapi()["components"]["schemas"]
    assert schemas["BookingStatus"]["enum"] == [s.value for s in BookingStatus]
    assert schemas["EventKind"]["enum"] == [k.value for k in EventKind]


@BACKENDS
def test_lifecycle_raises_dispatch_errors(service: LoadedService) -> None:
    """Unknown ids, forbidden moves and contradicting input raise dispatch exceptions."""
    with pytest.raises(TripNotFoundError, match="'nope'"):
        lifecycle.describe(service, "nope")
    with pytest.raises(LookupError):
        lifecycle.cancel(service, "nope")
    with pytest.raises(OffMapError) as off_map:
        _book(service, "off", pickup=OFF_MAP)
    assert [field for field, _ in off_map.value.places] == ["pickup"]
    with pytest.raises(TripInputError) as no_outbound:
        _book(service, "back", return_of="t0", appointment_at=None, ready_at=AT.isoformat())
    assert no_outbound.value.field == "return_of"

    _book(service, "t1")
    assert lifecycle.describe(service, "t1").status is BookingStatus.BOOKED
    with pytest.raises(TripStateError) as early:
        lifecycle.record_event(
            service, "t1", EventKind.DROPPED_OFF, AT, vehicle_id=None, observed={}
        )
    assert early.value.field == "kind"
    assert lifecycle.cancel(service, "t1").status is BookingStatus.CANCELLED
    with pytest.raises(TripStateError, match="cancelled") as again:
        lifecycle.cancel(service, "t1")
    assert again.value.field == "trip_id"

    _book(
        service,
        "ret",
        pickup=CLINIC,
        dropoff=HOME,
        appointment_at=None,
        ready_at="2026-03-02T10:00:00-05:00",
        will_call=True,
    )
    with pytest.raises(NoVehiclesError):
        lifecycle.will_call(service, "ret", None, 1.0)


def test_field_errors_survive_pickling() -> None:
    """The errors naming a field keep it across processes."""
    state = pickle.loads(pickle.dumps(TripStateError("trip 'a' is completed", field="trip_id")))
    assert (str(state), state.field) == ("trip 'a' is completed", "trip_id")
    off_map = pickle.loads(pickle.dumps(OffMapError([("pickup", "too far")])))
    assert (str(off_map), off_map.places) == ("pickup: too far", [("pickup", "too far")])
