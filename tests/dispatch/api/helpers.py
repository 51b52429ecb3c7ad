"""Request bodies, credentials and response checks shared by the service tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

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
