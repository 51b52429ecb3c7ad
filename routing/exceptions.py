"""Errors raised by the routing package; each names the problem and the offending input."""

from __future__ import annotations


class RoutingError(Exception):
    """Base class of every routing error."""


class GraphSourceError(RoutingError, ValueError):
    """A map source cannot become a road graph (missing, corrupt, unknown type, no roads)."""


class SnapError(RoutingError, ValueError):
    """Coordinates are invalid or farther from the road network than the snap limit.

    ``indices`` lists the positions of the offending points in the caller's input.
    """

    def __init__(self, msg: str, indices: list[int]) -> None:
        super().__init__(msg)
        self.indices = indices


class NodeIndexError(RoutingError, IndexError):
    """A node index is not an integer in ``[0, n_nodes)``."""


class InvalidWeightsError(RoutingError, ValueError):
    """A caller's array (per-edge weights, a predecessor tree) has the wrong shape or values."""


class UnreachableError(RoutingError, ValueError):
    """No path leads from the source to the target."""
