"""Small dial-a-ride problems for the solver, checker and diagnosis tests."""

from __future__ import annotations

import numpy as np

from dispatch.problem import PdpProblem


def random_problem(seed: int, n_requests: int = 8, n_vehicles: int = 3) -> PdpProblem:
    """A random dial-a-ride problem: two space types, windows, ride limits, compatibility."""
    rng = np.random.default_rng(seed)
    n = 2 * n_requests + 1
    xy = rng.uniform(0, 30, (n, 2))
    xy[0] = 15
    travel = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    pickups, deliveries = np.arange(1, n_requests + 1), np.arange(n_requests + 1, n)
    demand = np.zeros((n, 2))
    kind = rng.integers(0, 2, n_requests)  # 0: seat, 1: wheelchair
    demand[pickups, kind], demand[deliveries, kind] = 1, -1
    ready = rng.uniform(0, 200, n_requests)
    open_, close = np.zeros(n), np.full(n, 400.0)
    open_[pickups], close[pickups] = ready, ready + 30
    compatible = np.ones((n_vehicles, n_requests), dtype=bool)
    compatible[0, kind == 1] = False  # vehicle 0 is a sedan: no wheelchairs
    capacity = np.array([[3, 0]] + [[4, 2]] * (n_vehicles - 1), dtype=float)
    return PdpProblem(
        travel_time=travel,
        service_time=np.where(np.arange(n) == 0, 0.0, 2.0),
        window_open=open_,
        window_close=close,
        demand=demand,
        pickups=pickups,
        deliveries=deliveries,
        max_ride_time=travel[pickups, deliveries] * 1.5 + 10,
        vehicle_start=np.zeros(n_vehicles, dtype=np.int64),
        vehicle_end=np.zeros(n_vehicles, dtype=np.int64),
        capacity=capacity,
        shift_start=np.zeros(n_vehicles),
        shift_end=np.full(n_vehicles, 400.0),
        max_route_duration=np.full(n_vehicles, 300.0),
        compatible=compatible,
        name=f"random-{seed}",
    )


def with_changes(problem: PdpProblem, **changes: object) -> PdpProblem:
    """A copy of ``problem`` with some of its fields replaced."""
    fields = {name: getattr(problem, name) for name in problem.__dataclass_fields__}
    return PdpProblem(**(fields | changes))
