"""Fleet sizing: per policy, the smallest fleet whose on-time appointment rate reaches a target.

Every fleet size replays the same days: for each seed the scenario's riders, trips, roads
and weather; only the fleet changes (its type mix kept, see
:func:`~simulations.fleet.make_fleet`). The ETA model of a seed is trained once, on the
history of the scenario's own fleet (the logs a provider has), and serves every size. The
rate of a size is the mean over the seeds of the booked on-time appointment rate (see
:mod:`simulations.kpis`): an unserved trip counts as late, so declining trips does not pay.

The rate grows with the fleet roughly, not strictly (fleets of neighbouring sizes differ in
mix and shifts), so the search brackets the target from the scenario's fleet size with
steps that double, then bisects: the size found reaches the target and the size below it,
tried too, does not. Every size tried is reported with its rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

import routing

from .engine import run_day
from .exceptions import ScenarioError
from .kpis import day_kpis
from .scenario import Scenario, TrainedModel, build_world, make_policy, parse_policy, train_model

RATE_KPI = "booked_on_time_appointment_rate"
SIZES = (3, 200)  # default fleet range: one vehicle of each type, five default fleets


@dataclass(frozen=True)
class FleetSizing:
    """One policy's search: every size tried with its rate, and the smallest reaching the target.

    ``smallest`` is None when even the largest size allowed falls short.
    """

    policy: str
    target: float
    rates: dict[int, float]  # fleet size -> mean rate over the seeds, in the order tried
    smallest: int | None


def smallest_reaching(
    rate: Callable[[int], float], target: float, low: int, high: int, start: int
) -> tuple[int | None, dict[int, float]]:
    """The smallest size in ``[low, high]`` whose ``rate`` reaches ``target``, and every rate tried.

    Brackets the target from ``start`` (clipped to the range) with doubling steps, then
    bisects; ``rate`` is called once per size. None if ``high`` falls short.
    """
    _check_range(low, high)
    rates: dict[int, float] = {}

    def reaches(size: int) -> bool:
        if size not in rates:
            rates[size] = rate(size)
        return rates[size] >= target

    size = min(max(start, low), high)
    step = max(size // 8, 1)
    passes, fails = size, size
    if reaches(size):
        while fails == passes:
            if passes == low:
                return low, rates
            below = max(passes - step, low)
            if reaches(below):
                passes, fails, step = below, below, step * 2
            else:
                fails = below
    else:
        while fails == passes:
            if fails == high:
                return None, rates
            above = min(fails + step, high)
            if reaches(above):
                passes = above
            else:
                passes, fails, step = above, above, step * 2
    while passes - fails > 1:
        middle = (passes + fails) // 2
        if reaches(middle):
            passes = middle
        else:
            fails = middle
    return passes, rates


def _check_range(low: int, high: int) -> None:
    if not 1 <= low <= high:
        msg = f"the fleet sizes must satisfy 1 <= min <= max, got {low} and {high}"
        raise ScenarioError(msg)


def size_fleets(
    scenario: Scenario,
    policies: Sequence[str],
    target: float,
    *,
    seeds: Sequence[int] = (0,),
    low: int = SIZES[0],
    high: int = SIZES[1],
    graph: routing.RoadGraph | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Callable[[float], None] | None = None,
) -> list[FleetSizing]:
    """Size the fleet of each policy on the scenario's day of each seed (see the module).

    ``progress`` hears of each trained model and simulated day; ``clock`` gets the
    simulated time (s) of the day being replayed.
    """
    for name in policies:
        parse_policy(name)
    if not 0 < target <= 1:
        msg = f"the target on-time rate must be in (0, 1], got {target}"
        raise ScenarioError(msg)
    if not seeds:
        msg = "fleet sizing needs at least one seed"
        raise ScenarioError(msg)
    _check_range(low, high)
    graph = graph or routing.load_graph(scenario.map_path)
    needs_model = any(parse_policy(name)[1] == "eta-model" for name in policies)
    models: dict[int, TrainedModel | None] = {}
    for seed in seeds:
        models[seed] = None
        if needs_model:
            own = replace(scenario, seed=seed)
            models[seed] = train_model(build_world(own, graph), own.history_days)
            if progress is not None:
                progress(f"model of seed {seed} trained")

    def rate(name: str, vehicles: int) -> float:
        values = []
        for seed in seeds:
            sized = replace(scenario, seed=seed, vehicles=vehicles)
            world = build_world(sized, graph)
            policy = make_policy(name, world, sized, models[seed])
            value = day_kpis(run_day(world, sized.day, policy, progress=clock))[RATE_KPI]
            if value is None:
                msg = f"day {sized.day} of seed {seed} has no appointments to size a fleet for"
                raise ScenarioError(msg)
            values.append(value)
            if progress is not None:
                progress(f"{name}, {vehicles} vehicles, seed {seed}: {value:.3f}")
        return round(float(np.mean(values)), 4)

    sizings = []
    for name in policies:
        smallest, rates = smallest_reaching(
            partial(rate, name), target, low, high, scenario.vehicles
        )
        sizings.append(FleetSizing(name, target, rates, smallest))
    return sizings
