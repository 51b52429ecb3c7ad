"""On-demand matching: vehicles to open requests, a min-cost assignment with feasibility rules.

Array level: the caller turns its rules (mobility vs vehicle type, capacity, shift end,
maximum wait) into a boolean ``feasible`` matrix and its predicted times into ``cost``.

Solver: OR-Tools min-cost flow (``SimpleMinCostFlow``). Each request supplies one unit that
reaches the sink either through a feasible vehicle (arc cost = time to pickup, vehicle ->
sink capacity 1) or through its own overflow arc priced at the unmatched penalty. So
unbalanced sizes, forbidden pairs (no arc) and "leave unmatched" are part of the network,
the flow problem is always feasible, and the answer is exact. The alternatives, measured
on a 1,000 x 1,000 instance like the benchmark's (600,000 feasible pairs; the flow solves
it in about 0.2 s): ``SimpleLinearSumAssignment`` needs a perfect matching, so unbalanced
sizes and unmatched requests take dummy nodes plus a dense n_vehicles x n_requests block
of zero-cost arcs between them, 1.0 s to solve; CP-SAT needs one Boolean per pair, takes
3.4 s just to build the model and has not proved optimality after 60 s.

OR-Tools needs integer costs: seconds are multiplied by ``scale`` (default 100, i.e.
centiseconds) and rounded to the nearest integer, so the matching is optimal for the
rounded costs; ``total_cost`` is recomputed from the unrounded ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from ortools.graph.python import min_cost_flow

_INT64_MAX = int(np.iinfo(np.int64).max)
# OR-Tools' cost scaling multiplies costs by about (number of nodes + 1) and refuses, as
# BAD_COST_RANGE, costs above about 2**63 / (2.4 (nodes + 1)) (measured on 9.15): warn with
# some headroom below that.
_OVERFLOW_HEADROOM = 8


class CostScalingWarning(UserWarning):
    """Scaled integer costs come close to what OR-Tools' min-cost flow accepts (int64)."""


class UnmatchedReason(StrEnum):
    """Why a request was left unmatched."""

    NO_FEASIBLE_VEHICLE = "no feasible vehicle"
    OUTCOMPETED = "outcompeted"  # feasible vehicles went to other requests, or penalty cheaper


@dataclass(frozen=True)
class MatchResult:
    """A matching of vehicles to requests.

    Attributes
    ----------
    vehicle_of_request
        Vehicle index per request, -1 if unmatched.
    request_of_vehicle
        Request index per vehicle, -1 if idle.
    total_cost
        Sum of ``cost`` over the matched pairs (seconds, double precision).
    status
        "optimal": optimal for the costs rounded at ``scale`` (a solver failure raises).
    unmatched_reasons
        Reason for each unmatched request, keyed by request index.
    """

    vehicle_of_request: NDArray[np.int64]
    request_of_vehicle: NDArray[np.int64]
    total_cost: float
    status: str
    unmatched_reasons: dict[int, UnmatchedReason]

    @property
    def n_matched(self) -> int:
        """Number of matched pairs."""
        return int(np.count_nonzero(self.vehicle_of_request >= 0))


def match(
    cost: ArrayLike,
    feasible: ArrayLike,
    *,
    unmatched_penalty: ArrayLike | None = None,
    scale: float = 100.0,
) -> MatchResult:
    """Minimum-cost matching of vehicles to requests over the feasible pairs.

    Parameters
    ----------
    cost
        Seconds, shape (n_vehicles, n_requests), non-negative; entries of infeasible pairs
        may be ``inf`` (e.g. unreachable) and are ignored.
    feasible
        Boolean, same shape: pairs that break no rule. No request gets an infeasible vehicle.
    unmatched_penalty
        Seconds per request, shape (n_requests,) or a scalar: the price of leaving a request
        unmatched, so a pair costlier than its penalty stays unmatched. None: every request
        that can be matched is (maximum cardinality), then the total cost is minimal.
    scale
        Integer cost units per second given to OR-Tools.

    Returns
    -------
    MatchResult
        The matching, its cost and a reason for each unmatched request.

    Raises
    ------
    ValueError
        Bad shapes, dtypes or values, named by argument; costs too large for int64 at ``scale``.
    """
    c, ok = _check_matrix(cost, feasible)
    n_vehicles, n_requests = c.shape
    if not np.isfinite(scale) or scale <= 0:
        msg = f"scale must be a positive finite number, got {scale}"
        raise ValueError(msg)
    penalty = None if unmatched_penalty is None else _check_penalty(unmatched_penalty, n_requests)
    vehicle_of_request = np.full(n_requests, -1, dtype=np.int64)
    if ok.any():
        vi, rj = np.nonzero(ok)
        chosen = _solve(_scaled(c[vi, rj], scale, "cost"), vi, rj, penalty, scale, ok.shape)
        vehicle_of_request[rj[chosen]] = vi[chosen]
    request_of_vehicle = np.full(n_vehicles, -1, dtype=np.int64)
    matched = np.flatnonzero(vehicle_of_request >= 0)
    request_of_vehicle[vehicle_of_request[matched]] = matched
    has_vehicle = np.asarray(ok.any(axis=0))
    reasons = {
        int(j): UnmatchedReason.OUTCOMPETED
        if has_vehicle[j]
        else UnmatchedReason.NO_FEASIBLE_VEHICLE
        for j in np.flatnonzero(vehicle_of_request < 0)
    }
    vehicle_of_request.flags.writeable = False
    request_of_vehicle.flags.writeable = False
    return MatchResult(
        vehicle_of_request=vehicle_of_request,
        request_of_vehicle=request_of_vehicle,
        total_cost=float(c[vehicle_of_request[matched], matched].sum()),
        status="optimal",
        unmatched_reasons=reasons,
    )


def _solve(
    pair_cost: NDArray[np.int64],
    vi: NDArray[np.intp],
    rj: NDArray[np.intp],
    penalty: NDArray[np.float64] | None,
    scale: float,
    shape: tuple[int, int],
) -> NDArray[np.bool_]:
    """Which feasible pairs (vi, rj) the min-cost flow uses.

    Nodes: requests 0..n_r-1 (supply 1 each), vehicles n_r..n_r+n_v-1, the sink (demand n_r).
    Arcs: request -> vehicle per feasible pair, request -> sink (the penalty),
    vehicle -> sink (capacity 1, cost 0).
    """
    n_vehicles, n_requests = shape
    if penalty is None:
        # more than any matching can cost: each request is matched at most once, and at
        # most at its costliest feasible pair, so one more match always pays
        col_max = np.zeros(n_requests, dtype=np.int64)
        np.maximum.at(col_max, rj, pair_cost)
        big = sum(col_max.tolist()) + 1
        if big > _INT64_MAX:
            msg = f"cost: sum too large for int64 at scale={scale}; lower scale"
            raise ValueError(msg)
        overflow = np.full(n_requests, big, dtype=np.int64)
    else:
        overflow = _scaled(penalty, scale, "unmatched_penalty")
    n_nodes = n_requests + n_vehicles + 1
    largest = max(int(pair_cost.max()), int(overflow.max()))
    if (largest + 1) * (n_nodes + 1) * _OVERFLOW_HEADROOM > _INT64_MAX:
        warnings.warn(
            f"scaled costs up to {largest} on {n_nodes} nodes risk int64 overflow in OR-Tools' "
            f"min-cost flow; lower scale (now {scale})",
            CostScalingWarning,
            stacklevel=3,
        )
    sink = n_requests + n_vehicles
    requests = np.arange(n_requests, dtype=np.int32)
    vehicles = np.arange(n_requests, sink, dtype=np.int32)
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([rj.astype(np.int32), requests, vehicles]),
        np.concatenate([vehicles[vi], np.full(n_requests + n_vehicles, sink, dtype=np.int32)]),
        np.ones(rj.size + n_requests + n_vehicles, dtype=np.int64),
        np.concatenate([pair_cost, overflow, np.zeros(n_vehicles, dtype=np.int64)]),
    )[: rj.size]
    flow.set_nodes_supplies(
        np.append(requests, np.int32(sink)),
        np.append(np.ones(n_requests, dtype=np.int64), -n_requests),
    )
    status = flow.solve()
    if status == flow.BAD_COST_RANGE:
        msg = f"cost: scaled costs too large for OR-Tools' min-cost flow at scale={scale}"
        raise ValueError(msg + "; lower scale")
    if status != flow.OPTIMAL:  # the network is always feasible: a solver fault
        msg = f"OR-Tools min-cost flow returned {status.name}"
        raise RuntimeError(msg)
    chosen: NDArray[np.bool_] = np.asarray(flow.flows(pair_arcs)) > 0
    return chosen


def _check_matrix(
    cost: ArrayLike, feasible: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """``cost`` as float64 and ``feasible`` as bool, validated."""
    try:
        c = np.asarray(cost, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"cost must be a numeric array: {exc}"
        raise ValueError(msg) from exc
    if c.ndim != 2:
        msg = f"cost must be 2-D, shape (n_vehicles, n_requests), got shape {c.shape}"
        raise ValueError(msg)
    ok = np.asarray(feasible)
    if ok.dtype != np.bool_:
        msg = f"feasible must be a boolean array, got dtype {ok.dtype}"
        raise ValueError(msg)
    if ok.shape != c.shape:
        msg = f"feasible must have the shape of cost {c.shape}, got {ok.shape}"
        raise ValueError(msg)
    if np.isnan(c).any():
        msg = f"cost has NaN at (vehicle, request) {_first(np.isnan(c))}"
        raise ValueError(msg)
    if (c < 0).any():
        msg = f"cost must be >= 0, got negative at (vehicle, request) {_first(c < 0)}"
        raise ValueError(msg)
    bad = ok & ~np.isfinite(c)
    if bad.any():
        msg = (
            f"cost is infinite at feasible (vehicle, request) {_first(bad)}; "
            "mark the pair infeasible instead"
        )
        raise ValueError(msg)
    return c, ok


def _check_penalty(penalty: ArrayLike, n_requests: int) -> NDArray[np.float64]:
    """``unmatched_penalty`` broadcast to (n_requests,), validated."""
    try:
        p = np.asarray(penalty, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"unmatched_penalty must be numeric: {exc}"
        raise ValueError(msg) from exc
    if p.ndim > 1 or (p.ndim == 1 and p.shape != (n_requests,)):
        msg = f"unmatched_penalty must be a scalar or of shape ({n_requests},), got {p.shape}"
        raise ValueError(msg)
    if not np.isfinite(p).all() or (p < 0).any():
        msg = "unmatched_penalty must be finite and >= 0 (use None to match all that can be)"
        raise ValueError(msg)
    return np.broadcast_to(p, (n_requests,))


def _scaled(seconds: NDArray[np.float64], scale: float, name: str) -> NDArray[np.int64]:
    """Seconds to the nearest integer unit of 1/``scale`` s."""
    scaled = np.rint(seconds * scale)
    if scaled.size and scaled.max() >= 2.0**63:
        msg = f"{name} too large for int64 at scale={scale}; lower scale"
        raise ValueError(msg)
    return scaled.astype(np.int64)


def _first(mask: NDArray[np.bool_]) -> tuple[int, ...]:
    """Index of the first True entry of ``mask``."""
    return tuple(int(i) for i in np.argwhere(mask)[0])
