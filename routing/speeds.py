"""Sanitise OSM ``maxspeed`` tags before osmnx imputes free-flow speeds from them."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import networkx as nx

from .road_classes import MAX_PLAUSIBLE_KPH, MIN_PLAUSIBLE_KPH, fastest_class

_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$", re.IGNORECASE)
_TO_KPH = {"mph": 1.609344, "knots": 1.852, "km/h": 1.0, "kmh": 1.0, "kph": 1.0}


def parse_speed_kph(value: str) -> float | None:
    """Parse one ``maxspeed`` value ("25 mph", "50", "30 km/h") to km/h; None if unparseable."""
    match = _SPEED.match(value)
    if match is None:
        return None
    unit = (match.group(2) or "km/h").lower()
    return float(match.group(1)) * _TO_KPH[unit]


def sanitise_maxspeeds(G: nx.MultiDiGraph) -> Counter[str]:
    """Replace each edge's ``maxspeed`` by a plausible km/h value, or drop it.

    Values that cannot be parsed, or lie outside the plausible range of the edge's road
    class, are removed so that osmnx imputes them from the class. Multi-valued tags
    ("30;40" or lists) keep their plausible parts, averaged. Returns counts by reason.
    """
    counts: Counter[str] = Counter()
    for _, _, data in G.edges(data=True):
        raw = data.get("maxspeed")
        if raw is None:
            continue
        value, reason = sanitised_maxspeed(raw, fastest_class(data.get("highway", "other")))
        if value is None:
            del data["maxspeed"]
        else:
            data["maxspeed"] = value
        if reason:
            counts[reason] += 1
    return counts


def sanitised_maxspeed(raw: Any, road_class: str) -> tuple[str | None, str | None]:
    """The plausible km/h value of one ``maxspeed`` tag for a road class, and why it changed.

    The value is the mean of the plausible parts with three decimals, None if there is
    none; the reason is None when no part was dropped.
    """
    speeds, reason = _plausible_speeds(raw, MAX_PLAUSIBLE_KPH[road_class])
    return (f"{sum(speeds) / len(speeds):.3f}" if speeds else None), reason


def _plausible_speeds(raw: Any, max_kph: float) -> tuple[list[float], str | None]:
    values = raw if isinstance(raw, list) else str(raw).split(";")
    speeds: list[float] = []
    reason = None
    for value in sorted(str(v) for v in values):
        kph = parse_speed_kph(value)
        if kph is None:
            reason = "unparseable"
        elif not MIN_PLAUSIBLE_KPH <= kph <= max_kph:
            reason = "implausible for road class"
        else:
            speeds.append(kph)
    return speeds, reason
