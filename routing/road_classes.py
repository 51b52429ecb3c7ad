"""The OSM road classes the graph keeps, their codes, defaults and plausible speed limits."""

from __future__ import annotations

from collections.abc import Iterable

# Code = position in this tuple; the last entry collects any class not listed.
ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "road",
    "busway",
    "other",
)
OTHER_CODE = len(ROAD_CLASSES) - 1

# Typical free-flow speed (km/h) used when no edge of a class carries a usable maxspeed tag;
# also the order used to pick one class for an edge that merges several (the fastest wins).
DEFAULT_SPEED_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 45.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 45.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 35.0,
    "living_street": 15.0,
    "road": 40.0,
    "busway": 40.0,
    "other": 30.0,
}

# Highest speed limit (km/h) believable for a class; tags above it are treated as errors.
MAX_PLAUSIBLE_KPH: dict[str, float] = {
    "motorway": 140.0,
    "motorway_link": 110.0,
    "trunk": 130.0,
    "trunk_link": 100.0,
    "primary": 110.0,
    "primary_link": 90.0,
    "secondary": 100.0,
    "secondary_link": 80.0,
    "tertiary": 90.0,
    "tertiary_link": 80.0,
    "unclassified": 90.0,
    "residential": 70.0,
    "living_street": 30.0,
    "road": 90.0,
    "busway": 90.0,
    "other": 130.0,
}
MIN_PLAUSIBLE_KPH = 5.0


def canonical_class(highway: str) -> str:
    """Map an OSM ``highway`` value to one of :data:`ROAD_CLASSES`."""
    return highway if highway in DEFAULT_SPEED_KPH else "other"


def fastest_class(highways: str | Iterable[str]) -> str:
    """Pick one class from an edge's class tag(s): the fastest by default speed, ties by name.

    osmnx merges the tags of simplified edges in an order that depends on the hash seed;
    a fixed rule keeps the build deterministic.
    """
    values = [highways] if isinstance(highways, str) else list(highways)
    classes = {canonical_class(str(v)) for v in values} or {"other"}
    return min(classes, key=lambda c: (-DEFAULT_SPEED_KPH[c], c))


def class_code(name: str) -> int:
    """Integer code of a canonical class name."""
    return ROAD_CLASSES.index(canonical_class(name))
