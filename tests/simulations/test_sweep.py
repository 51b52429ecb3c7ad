"""Scenario sweeps on a real local Dask cluster."""

from __future__ import annotations

import pytest
from distributed import Client, LocalCluster

from simulations.kpis import TIMING_KPIS
from simulations.scenario import Scenario, compare_policies
from simulations.sweep import SweepGrid, run_sweep

GRID = SweepGrid(
    vehicles=(6,),
    riders=120,
    seeds=(0, 1),
    policies=("greedy/free-flow",),
    history_days=3,
    plan_s=2.0,
)


def test_small_sweep_on_a_local_cluster() -> None:
    """Two seeds on two worker processes come back as one table, equal to local runs."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        table = run_sweep(GRID, client)
    assert list(table["seed"]) == [0, 1]
    assert set(table["policy"]) == {"greedy/free-flow"}
    local = compare_policies(
        Scenario(seed=1, vehicles=6, riders=120, history_days=3, plan_s=2.0), GRID.policies
    )
    row = table[table["seed"] == 1].iloc[0]
    for key, value in local.kpis[0].items():
        if key not in (*TIMING_KPIS, "unserved_reasons"):
            assert row[key] == value, key


def test_invalid_grid_values_are_refused() -> None:
    """A policy name or weather the simulator does not know is a ValueError naming it."""
    with pytest.raises(ValueError, match="policy 'fastest/free-flow'"):
        SweepGrid(policies=("fastest/free-flow",)).scenarios()
    with pytest.raises(ValueError, match="weather"):
        SweepGrid(weather=("hail",)).scenarios()
