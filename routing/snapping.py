"""Snap coordinates to the nearest graph node with a KD-tree on locally projected points."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from .exceptions import SnapError
from .graph import RoadGraph

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_MAX_SNAP_M = 500.0


def _project(
    graph: RoadGraph, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Equirectangular projection around the graph's centre, in metres (fine at city scale)."""
    lat0 = np.radians(float(np.mean(graph.lat)))
    x = EARTH_RADIUS_M * np.cos(lat0) * np.radians(lon)
    y = EARTH_RADIUS_M * np.radians(lat)
    return np.column_stack((x, y))


def _tree(graph: RoadGraph) -> cKDTree:
    tree: cKDTree | None = getattr(graph._local, "kdtree", None)
    if tree is None:
        tree = cKDTree(_project(graph, graph.lat, graph.lon))
        graph._local.kdtree = tree
    return tree


@overload
def nearest_nodes(
    graph: RoadGraph,
    lat: ArrayLike,
    lon: ArrayLike,
    *,
    max_distance_m: float = ...,
    return_distance: Literal[False] = ...,
) -> NDArray[np.int32]: ...


@overload
def nearest_nodes(
    graph: RoadGraph,
    lat: ArrayLike,
    lon: ArrayLike,
    *,
    max_distance_m: float = ...,
    return_distance: Literal[True],
) -> tuple[NDArray[np.int32], NDArray[np.float64]]: ...


def nearest_nodes(
    graph: RoadGraph,
    lat: ArrayLike,
    lon: ArrayLike,
    *,
    max_distance_m: float = DEFAULT_MAX_SNAP_M,
    return_distance: bool = False,
) -> NDArray[np.int32] | tuple[NDArray[np.int32], NDArray[np.float64]]:
    """Indices of the nodes nearest to each (lat, lon) point.

    Raises :class:`SnapError` naming the points that are not finite, not valid
    coordinates, or farther than ``max_distance_m`` from every node.
    """
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    if lat_a.shape != lon_a.shape or lat_a.ndim != 1:
        msg = f"lat and lon must be 1-d of equal length, got {lat_a.shape} and {lon_a.shape}"
        raise SnapError(msg, [])
    invalid = ~(
        np.isfinite(lat_a) & np.isfinite(lon_a) & (np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180)
    )
    if invalid.any():
        raise SnapError(
            _describe("invalid or missing (NaN) coordinates", invalid, lat_a, lon_a), _idx(invalid)
        )
    distance, node = _tree(graph).query(_project(graph, lat_a, lon_a))
    far = distance > max_distance_m
    if far.any():
        what = f"farther than {max_distance_m:g} m from the road network"
        raise SnapError(_describe(what, far, lat_a, lon_a, distance), _idx(far))
    nodes = node.astype(np.int32)
    return (nodes, distance) if return_distance else nodes


def _idx(mask: NDArray[np.bool_]) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)]


def _describe(
    what: str,
    mask: NDArray[np.bool_],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    distance: NDArray[np.float64] | None = None,
) -> str:
    bad = np.flatnonzero(mask)
    shown = []
    for i in bad[:5]:
        text = f"#{i} ({lat[i]:.6f}, {lon[i]:.6f})"
        if distance is not None:
            text += f" at {distance[i]:,.0f} m"
        shown.append(text)
    more = f" and {bad.size - 5} more" if bad.size > 5 else ""
    return f"{bad.size} point(s) {what}: {', '.join(shown)}{more}"
