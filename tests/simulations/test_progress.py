"""A comparison tells its progress while each stage runs, not only between stages."""

from __future__ import annotations

import pytest

from simulations.scenario import HISTORY_STAGE, Scenario, compare_policies

POLICIES = ("greedy/free-flow", "batch/eta-model")


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_moves_within_the_history_and_each_policy(workers: int) -> None:
    """The history's days and each policy's simulated day are told as shares that rise
    from below 1 to exactly 1, in this process or from policy worker processes."""
    told: list[tuple[str, float]] = []
    compare_policies(
        Scenario(seed=2, vehicles=6, riders=120, history_days=3, plan_s=2.0),
        POLICIES,
        workers=workers,
        progress=lambda stage, done: told.append((stage, done)),
    )
    for stage in (HISTORY_STAGE, *POLICIES):
        shares = [done for name, done in told if name == stage]
        assert shares[-1] == 1.0, stage
        assert any(0.0 < s < 1.0 for s in shares), f"{stage}: {shares}"
        assert shares == sorted(shares), stage
