"""Request bodies and response checks shared by the service tests."""

from __future__ import annotations

from typing import Any

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
