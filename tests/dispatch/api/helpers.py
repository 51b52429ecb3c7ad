"""Request bodies, credentials and response checks shared by the service tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient

import routing
from dispatch.api import ServiceSettings, Store, create_app
from dispatch.api.api_keys import create_key
from dispatch.api.identity import Role

DEPOT = {"lat": 39.2904, "lon": -76.6122}
CLINIC = {"lat": 39.2970, "lon": -76.5930}
HOME = {"lat": 39.3010, "lon": -76.6050}
OFF_MAP = {"lat": 40.5, "lon": -76.0}


def vehicle(
    vehicle_id: str = "van-1", vtype: str = "wheelchair_van", **extra: Any
) -> dict[str, Any]:
    """A vehicle body on shift on 2 March 2026 from the depot."""
    return {
        "id": vehicle_id,
        "type": vtype,
        "depot": DEPOT,
        "shift_start": "2026-03-02T07:00:00-05:00",
        "shift_end": "2026-03-02T17:00:00-05:00",
        **extra,
    }


def trip(trip_id: str = "trip-1", **extra: Any) -> dict[str, Any]:
    """A wheelchair trip from home to the clinic, arrive by 09:30 on 2 March 2026."""
    body: dict[str, Any] = {
        "id": trip_id,
        "rider_id": f"rider-{trip_id}",
        "pickup": HOME,
        "dropoff": CLINIC,
        "mobility": "wheelchair",
        "appointment_at": "2026-03-02T09:30:00-05:00",
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def errors_of(response: Any) -> list[dict[str, Any]]:
    """The field errors of an error response (asserting the body has the documented shape)."""
    body = response.json()
    assert set(body) == {"errors"}, body
    assert all(set(e) == {"field", "reason"} and e["reason"] for e in body["errors"]), body
    return list(body["errors"])


_KEY_NAMES = itertools.count()


def new_key(store: Store, role: Role | str = Role.ADMIN, vehicle: str | None = None) -> str:
    """A new API key of ``role`` (a driver's bound to ``vehicle``) made in ``store``."""
    return create_key(store, f"test-{next(_KEY_NAMES)}", Role(role), vehicle).key


def bearer(key: str) -> dict[str, str]:
    """The Authorization header of a key or token."""
    return {"Authorization": f"Bearer {key}"}


def grant(
    app: FastAPI, role: Role | str = Role.ADMIN, vehicle: str | None = None
) -> dict[str, str]:
    """Headers with a new key of ``role`` in the store of a started ``app``."""
    store = app.state.service.store
    assert store is not None, "the app is not started"
    return bearer(new_key(store, role, vehicle))


@contextmanager
def started(
    settings: ServiceSettings, *, raise_server_exceptions: bool = True
) -> Iterator[TestClient]:
    """The real app on ``settings``, started, its client sending an admin key by default."""
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
        client.headers.update(grant(client.app))  # type: ignore[arg-type]
        yield client


PAST_DAY_WINDOW: dict[str, float] = {"window_past_days": 3650.0, "event_max_age_h": 24 * 3650.0}
"""Settings that accept the helpers' fixed day (2 March 2026) and events on it; the default
window (from yesterday, events of the last day) is tested in ``test_bad_input``."""


SLOWDOWN = 2.0  # real rides take twice the free-flow time: slower than the model expects
RIDE_DAYS, RIDES_PER_DAY = 4, 20
RIDES_START = datetime.fromisoformat("2026-03-02T07:00:00-05:00")


def record_rides(
    client: TestClient, graph: routing.RoadGraph, seed: int = 0
) -> dict[str, datetime]:
    """Book trips from RIDES_START on and report their pickup and dropoff: rides take
    SLOWDOWN x free flow x noise. The departure of each ride, by trip id."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(graph.n_nodes, size=(RIDE_DAYS * RIDES_PER_DAY, 2), replace=True)
    points = [
        (
            {"lat": float(graph.lat[a]), "lon": float(graph.lon[a])},
            {"lat": float(graph.lat[b]), "lon": float(graph.lon[b])},
        )
        for a, b in nodes
    ]
    departures = [
        RIDES_START + timedelta(days=k // RIDES_PER_DAY, minutes=30 * (k % RIDES_PER_DAY))
        for k in range(len(points))
    ]
    items = [
        {"origin": o, "destination": d, "departure": t.isoformat()}
        for (o, d), t in zip(points, departures, strict=True)
    ]
    free_flow = [
        e["free_flow_s"] for e in client.post("/v1/eta", json={"items": items}).json()["estimates"]
    ]
    recorded = {}
    for k, ((pickup, dropoff), departure, seconds) in enumerate(
        zip(points, departures, free_flow, strict=True)
    ):
        if seconds < 60:  # too short to be a believable ride
            continue
        trip_id = f"ride-{k}"
        booking = {
            "id": trip_id,
            "rider_id": f"rider-{k}",
            "pickup": pickup,
            "dropoff": dropoff,
            "mobility": "ambulatory",
            "ready_at": departure.isoformat(),
        }
        assert client.post("/v1/trips", json=booking).status_code == 201
        noise = float(rng.lognormal(0.0, 0.15))
        arrived = departure + timedelta(seconds=SLOWDOWN * seconds * noise)
        for kind, at in (("picked_up", departure), ("dropped_off", arrived)):
            event = {"kind": kind, "at": at.isoformat()}
            assert client.post(f"/v1/trips/{trip_id}/events", json=event).status_code == 201
        recorded[trip_id] = departure
    return recorded
