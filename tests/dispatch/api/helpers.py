"""Request bodies, credentials and response checks shared by the service tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Ride:
    """A ride between two map nodes: when it starts, and the model's answer for it."""

    pickup: dict[str, float]
    dropoff: dict[str, float]
    departure: datetime
    free_flow_s: float
    p50_s: float


def random_rides(
    client: TestClient, graph: routing.RoadGraph, seed: int, per_day: int = RIDES_PER_DAY
) -> list[Ride]:
    """Rides between random nodes, every 30 minutes of RIDE_DAYS days from RIDES_START, with
    the model's ETAs; rides too short to be believable are left out."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(graph.n_nodes, size=(RIDE_DAYS * per_day, 2), replace=True)
    points = [
        (
            {"lat": float(graph.lat[a]), "lon": float(graph.lon[a])},
            {"lat": float(graph.lat[b]), "lon": float(graph.lon[b])},
        )
        for a, b in nodes
    ]
    departures = [
        RIDES_START + timedelta(days=k // per_day, minutes=30 * (k % per_day))
        for k in range(len(points))
    ]
    items = [
        {"origin": o, "destination": d, "departure": t.isoformat()}
        for (o, d), t in zip(points, departures, strict=True)
    ]
    estimates = client.post("/v1/eta", json={"items": items}).json()["estimates"]
    rides = [
        Ride(o, d, t, e["free_flow_s"], e["p50_s"])
        for (o, d), t, e in zip(points, departures, estimates, strict=True)
    ]
    return [r for r in rides if r.free_flow_s >= 60]


def record(client: TestClient, rides: list[Ride], durations: list[float], prefix: str) -> None:
    """Book each ride as ``<prefix>-<k>`` and report its pickup and its dropoff ``duration``
    seconds later."""
    for k, (ride, seconds) in enumerate(zip(rides, durations, strict=True)):
        trip_id = f"{prefix}-{k}"
        booking = {
            "id": trip_id,
            "rider_id": f"rider-{k}",
            "pickup": ride.pickup,
            "dropoff": ride.dropoff,
            "mobility": "ambulatory",
            "ready_at": ride.departure.isoformat(),
        }
        assert client.post("/v1/trips", json=booking).status_code == 201
        arrived = ride.departure + timedelta(seconds=seconds)
        for kind, at in (("picked_up", ride.departure), ("dropped_off", arrived)):
            event = {"kind": kind, "at": at.isoformat()}
            assert client.post(f"/v1/trips/{trip_id}/events", json=event).status_code == 201


def slowed(rides: list[Ride], seed: int) -> list[float]:
    """SLOWDOWN x free flow x noise: a plausible change of the world."""
    noise = np.random.default_rng(seed).lognormal(0.0, 0.15, len(rides))
    return [SLOWDOWN * r.free_flow_s * float(n) for r, n in zip(rides, noise, strict=True)]


def record_rides(
    client: TestClient, graph: routing.RoadGraph, seed: int = 0
) -> dict[str, datetime]:
    """Random rides booked as ``ride-<k>`` and reported as :func:`slowed`: the departure of
    each, by trip id."""
    rides = random_rides(client, graph, seed)
    record(client, rides, slowed(rides, seed + 1), "ride")
    return {f"ride-{k}": ride.departure for k, ride in enumerate(rides)}
