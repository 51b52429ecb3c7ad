"""compare_policies: the same day and model whether the policies run here or in workers."""

from __future__ import annotations

from simulations.kpis import TIMING_KPIS
from simulations.scenario import Scenario, compare_policies

# free-flow policies start in the workers while the model trains; the others follow
POLICIES = ("greedy/free-flow", "batch/eta-model", "batch/free-flow")
SCENARIO = Scenario(seed=3, vehicles=6, riders=120, history_days=3, plan_s=2.0)


def test_policies_in_workers_match_the_policies_run_in_this_process() -> None:
    """Two worker processes give the free-flow policies' KPIs (timings aside) as one
    process does, in the order asked, and the ETA policy its model. (The model's search
    is bounded in seconds, so two trainings may differ: its policy's KPIs are not compared.)"""
    here = compare_policies(SCENARIO, POLICIES, workers=1)
    pooled = compare_policies(SCENARIO, POLICIES, workers=2)
    assert [k["policy"] for k in pooled.kpis] == list(POLICIES)
    assert pooled.model is not None and here.model is not None
    assert pooled.model.n_train == here.model.n_train
    for mine, theirs in zip(here.kpis, pooled.kpis, strict=True):
        assert theirs["requested"] == mine["requested"]
        assert theirs["served"] > 0
        if mine["policy"].endswith("eta-model"):
            continue
        for key, value in mine.items():
            if key not in TIMING_KPIS:
                assert theirs[key] == value, (mine["policy"], key)


def test_free_flow_policies_need_no_model() -> None:
    """Without a policy on the model's times, none is trained."""
    comparison = compare_policies(SCENARIO, ("greedy/free-flow",), workers=2)
    assert comparison.model is None
    assert comparison.kpis[0]["policy"] == "greedy/free-flow"
