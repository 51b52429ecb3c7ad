"""Retention: what is left of a finished trip once its patient data is purged.

A purged trip keeps its id, status, times and events (vehicle and time only), so the id
stays taken and its outcome stays linked; its request (rider, places and their names)
is removed, and so are its idempotency records (they hold the booking's answer). What
the model learns from stays, with every point of the trip moved to the centre of its
:data:`CELL_DEG` cell: about 1.1 km north-south and 0.85 km east-west at Baltimore's
latitude, a few thousand residents in a city, so a pickup names a neighbourhood and no
longer a home. A road-graph node would not do: it is the street corner of the home.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from models.cleaning import EARTH_RADIUS_M
from models.features import ROTATIONS_DEG

CELL_DEG = 0.01
"""Side of the cells that purged points are moved to, in degrees of latitude and longitude."""

_METRES_PER_DEG = math.radians(1.0) * EARTH_RADIUS_M


def coarse(degrees: float) -> float:
    """A latitude or longitude moved to the centre of its cell."""
    return round(round(degrees / CELL_DEG) * CELL_DEG, 6)


def trip_time(request: str) -> datetime | None:
    """When a stored request (JSON) is due: its ready time, else its appointment; None for
    a purged one."""
    fields = json.loads(request)
    due = fields.get("ready_at") or fields.get("appointment_at")
    return None if due is None else datetime.fromisoformat(due)


def coarse_features(features: dict[str, float | None]) -> dict[str, float | None]:
    """A prediction's features with both ends at the centre of their cells.

    The coordinates become the cell's, and the rotated coordinates move with them; the
    relative features (distances, bearing, route) are kept.
    """
    out = dict(features)
    for end in ("origin", "dest"):
        lat, lon = features.get(f"{end}_lat"), features.get(f"{end}_lon")
        if lat is None or lon is None:
            continue
        out[f"{end}_lat"], out[f"{end}_lon"] = coarse(lat), coarse(lon)
        dx = (coarse(lon) - lon) * _METRES_PER_DEG * math.cos(math.radians(lat))
        dy = (coarse(lat) - lat) * _METRES_PER_DEG
        for angle in ROTATIONS_DEG:
            cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            for axis, shift in (("x", dx * cos - dy * sin), ("y", dx * sin + dy * cos)):
                name = f"{end}_rot{angle}_{axis}"
                value = features.get(name)
                if value is not None:
                    out[name] = value + shift
    return out


def coarse_stops(plan: dict[str, Any], trip_ids: set[str]) -> bool:
    """Move the stops of these trips in a stored plan to their cells, without place names;
    whether any was found."""
    found = False
    for route in plan.get("routes", []):
        for stop in route.get("stops", []):
            if stop.get("request_id") in trip_ids:
                where = stop["location"]
                stop["location"] = {"lat": coarse(where["lat"]), "lon": coarse(where["lon"])}
                found = True
    return found
