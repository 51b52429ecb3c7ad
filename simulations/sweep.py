"""Scenario sweeps on Dask: fleet size x demand x weather x seed, every policy on each.

One task per scenario (its world, model and policies, run in one worker process), so a
model is trained once per scenario. The results come back as one table: a row per
(scenario, policy) with the scenario's settings and the day's KPIs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .scenario import DEFAULT_POLICIES, DEFAULT_RIDERS, Scenario, compare_policies, parse_policy

SCENARIO_COLUMNS = ("seed", "vehicles", "demand", "weather")


@dataclass(frozen=True)
class SweepGrid:
    """The values to combine; ``weather`` None means the day's weather as drawn.

    Every fleet size serves the same ``riders`` (scaled by each ``demand``).
    """

    vehicles: tuple[int, ...] = (30, 40)
    riders: int = DEFAULT_RIDERS
    demand: tuple[float, ...] = (1.0,)
    weather: tuple[str | None, ...] = (None,)
    seeds: tuple[int, ...] = (0, 1)
    policies: tuple[str, ...] = DEFAULT_POLICIES
    history_days: int = 28
    plan_s: float = 20.0

    def scenarios(self) -> list[Scenario]:
        """Every combination, as scenarios (invalid values raise ValueError here)."""
        for name in self.policies:
            parse_policy(name)
        return [
            Scenario(
                seed=seed,
                vehicles=vehicles,
                riders=self.riders,
                demand=demand,
                weather=weather,
                history_days=self.history_days,
                plan_s=self.plan_s,
            )
            for vehicles, demand, weather, seed in itertools.product(
                self.vehicles, self.demand, self.weather, self.seeds
            )
        ]


def run_sweep(
    grid: SweepGrid, client: Any, progress: Callable[[Scenario], None] | None = None
) -> pd.DataFrame:
    """Run the grid on a ``distributed.Client``; one row per scenario and policy."""
    from distributed import as_completed

    scenarios = grid.scenarios()
    futures = client.map(
        scenario_rows, scenarios, policies=grid.policies, pure=False, key=_keys(scenarios)
    )
    rows: list[dict[str, Any]] = []
    for future in as_completed(futures):
        cell = future.result()
        rows.extend(cell)
        if progress is not None:
            progress(scenarios[futures.index(future)])
    table = pd.DataFrame(rows)
    order = ["seed", "vehicles", "demand", "weather", "policy"]
    return table.sort_values(order, key=_sortable).reset_index(drop=True)


def scenario_rows(scenario: Scenario, policies: Sequence[str]) -> list[dict[str, Any]]:
    """The KPI rows of one scenario (runs in a Dask worker)."""
    comparison = compare_policies(scenario, policies, workers=1)
    settings = {
        "seed": scenario.seed,
        "vehicles": scenario.vehicles,
        "demand": scenario.demand,
        "weather": scenario.weather or f"drawn:{comparison.weather}",
    }
    rows = []
    for kpis in comparison.kpis:
        flat = {k: v for k, v in kpis.items() if k != "unserved_reasons"}
        flat["unserved_reasons"] = json.dumps(kpis["unserved_reasons"], sort_keys=True)
        rows.append({**settings, **flat})
    return rows


def _keys(scenarios: Sequence[Scenario]) -> list[str]:
    return [
        f"scenario-s{s.seed}-v{s.vehicles}-d{s.demand}-w{s.weather or 'drawn'}" for s in scenarios
    ]


def _sortable(column: pd.Series) -> pd.Series:
    return column.astype(str) if column.dtype == object else column
