"""Model operations: outcomes recorded over HTTP, retraining judged on the recent outcomes
and a trusted holdout, promotion and rollback that survive restarts (on SQLite and
PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import routing
from dispatch.api import ServiceSettings
from tests.stores import BACKENDS

from .helpers import (
    Ride,
    errors_of,
    random_rides,
    record,
    slowed,
    started,
)

PROBE = {
    "origin": {"lat": 39.2904, "lon": -76.6122},
    "destination": {"lat": 39.3100, "lon": -76.5800},
    "departure": "2026-03-05T08:15:00-05:00",
}


def _write_trips(path: Path, rides: list[Ride], durations: list[float]) -> Path:
    """A trips file (``models.read_trips`` columns) of the rides."""
    frame = pd.DataFrame(
        {
            "pickup_time": [r.departure.isoformat() for r in rides],
            "origin_lat": [r.pickup["lat"] for r in rides],
            "origin_lon": [r.pickup["lon"] for r in rides],
            "dest_lat": [r.dropoff["lat"] for r in rides],
            "dest_lon": [r.dropoff["lon"] for r in rides],
            "duration_s": durations,
        }
    )
    frame.to_csv(path, index=False)
    return path


def _probe(client: TestClient) -> dict[str, Any]:
    """The ETA answer of one fixed ride."""
    answer = client.post("/v1/eta", json={"items": [PROBE]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return {"version": body.get("model_version"), **body["estimates"][0]}


@BACKENDS
def test_retraining_promotes_a_better_model_and_rollback_restores_the_previous(
    settings: ServiceSettings, baltimore: routing.RoadGraph, tmp_path: Path
) -> None:
    """After a real change of the world (rides twice the free-flow time, and a trusted holdout
    the operator made of such rides) the retrained model beats the current one on both, is
    promoted and kept across a restart; a rollback restores the previous model's ETAs,
    also after a restart, and a second rollback has nothing to go back to."""
    with started(settings) as client:
        holdout = random_rides(client, baltimore, seed=7)
        trusted = _write_trips(tmp_path / "trusted.csv", holdout, slowed(holdout, seed=8))
    settings = replace(settings, trusted_holdout=str(trusted))
    with started(settings) as client:
        too_few = client.post("/v1/model/retrain", json={})
        assert too_few.status_code == 409
        assert "retraining needs at least" in errors_of(too_few)[0]["reason"]
        before = client.get("/v1/model").json()
        eta_before = _probe(client)
        rides = random_rides(client, baltimore, seed=0)
        record(client, rides, slowed(rides, seed=1), "ride")
        live = client.get("/v1/model").json()["monitor"]
        assert live["n"] > 50
        assert live["bias_s"] < 0  # rides run later than predicted

        kept = client.post(
            "/v1/model/retrain",
            json={"train_days": 3, "holdout_days": 1, "min_improvement": 0.99},
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["promoted"] is False
        assert kept.json()["reason"].startswith("keep the current model")
        assert kept.json()["model_version"] == before["version"]

        promoted = client.post(
            "/v1/model/retrain", json={"train_days": 3, "holdout_days": 1}
        ).json()
        assert promoted["promoted"] is True, promoted
        assert promoted["reason"].startswith("promote")
        assert "trusted holdout" in promoted["reason"]
        decision = promoted["decision"]
        assert decision["candidate_mae_s"] < decision["current_mae_s"]
        assert decision["trusted"]["candidate_mae_s"] < decision["trusted"]["current_mae_s"]
        assert decision["trusted"]["n_holdout"] == len(holdout)
        assert promoted["model_version"] == promoted["candidate_version"] != before["version"]
        after = client.get("/v1/model").json()
        assert after["version"] == promoted["candidate_version"]
        [promotion] = after["promotions"]
        assert promotion["version"] == promoted["candidate_version"]
        assert promotion["replaced_version"] == before["version"]
        assert after["rollback_to"] == before["version"]
        assert before["promotions"] == [] and before["rollback_to"] is None
        assert after["monitor"]["n"] == 0  # a new model starts a new rolling window
        assert after["monitor"]["reference"] == "training features"
        eta_promoted = _probe(client)
        assert eta_promoted["version"] == promoted["candidate_version"]
        assert eta_promoted["p50_s"] > eta_before["p50_s"]  # it learnt the slower rides
    with started(settings) as restarted:
        assert restarted.get("/v1/model").json()["version"] == promoted["candidate_version"]
        assert restarted.get("/health").json()["model_version"] == promoted["candidate_version"]
        rollback = restarted.post("/v1/model/rollback")
        assert rollback.status_code == 200, rollback.text
        assert rollback.json() == {
            "model_version": before["version"],
            "rolled_back_version": promoted["candidate_version"],
        }
        rolled_back = restarted.get("/v1/model").json()
        assert rolled_back["version"] == before["version"]
        assert rolled_back["promotions"] == [] and rolled_back["rollback_to"] is None
        assert _probe(restarted) == eta_before
    with started(settings) as again:
        assert again.get("/v1/model").json()["version"] == before["version"]
        assert _probe(again) == eta_before
        nothing = again.post("/v1/model/rollback")
        assert nothing.status_code == 409
        assert "nothing to roll back to" in errors_of(nothing)[0]["reason"]


@BACKENDS
def test_poisoned_outcomes_do_not_promote(
    settings: ServiceSettings, baltimore: routing.RoadGraph
) -> None:
    """Events reporting 3x the predicted ride times win the retrained candidate the recent
    outcomes, but it is far worse on the trusted holdout (the model's own test days): the
    current model stays, and the answer gives both figures. Implausible rides are rejected
    and counted."""
    with started(settings) as client:
        before = client.get("/v1/model").json()
        rides = random_rides(client, baltimore, seed=3, per_day=30)
        record(client, rides, [3 * r.p50_s for r in rides], "poison")
        later = timedelta(minutes=10)
        absurd = [replace(r, departure=r.departure + later) for r in rides[:5]]
        record(client, absurd, [10 * r.free_flow_s + 1800 for r in absurd], "absurd")
        replayed = rides[5:8]  # the same rides reported again under other trip ids
        record(client, replayed, [r.p50_s for r in replayed], "replayed")

        answer = client.post("/v1/model/retrain", json={"train_days": 3, "holdout_days": 1})
        assert answer.status_code == 200, answer.text
        verdict = answer.json()
        assert verdict["promoted"] is False, verdict
        assert verdict["reason"].startswith("keep the current model")
        assert "beyond the 5.0% tolerance" in verdict["reason"]
        decision = verdict["decision"]
        assert decision["candidate_mae_s"] < decision["current_mae_s"]  # the poison "fits"
        trusted = decision["trusted"]
        assert trusted["passed"] is False
        assert trusted["candidate_mae_s"] > 1.5 * trusted["current_mae_s"]
        assert verdict["model_version"] == before["version"]
        assert verdict["candidate_version"] is None
        rejected = verdict["rejected"]
        assert rejected["slower than 3 x free flow + 900 s"] >= len(absurd)
        assert rejected["duplicate ride (same pickup time and places as another)"] == 3
        assert verdict["n_outcomes"] == len(rides) + len(absurd) + len(replayed)
    with started(settings) as restarted:
        assert restarted.get("/v1/model").json()["version"] == before["version"]


@BACKENDS
def test_rollback_without_a_promotion_is_a_conflict(client: TestClient) -> None:
    """With the configured model in service there is nothing to roll back to: 409, why."""
    version = client.get("/v1/model").json()["version"]
    response = client.post("/v1/model/rollback")
    assert response.status_code == 409
    assert "nothing to roll back to" in errors_of(response)[0]["reason"]
    assert client.get("/v1/model").json()["version"] == version


def test_retraining_without_a_trusted_holdout_is_a_conflict(
    settings: ServiceSettings, baltimore: routing.RoadGraph, tmp_path: Path
) -> None:
    """A model saved without its test days, and no DISPATCH_TRUSTED_HOLDOUT: nothing could
    judge a candidate, so retraining refuses (409) before fitting."""
    bare = tmp_path / "bare-model"
    bare.mkdir()
    model = Path(settings.model or "")
    for item in model.iterdir():
        if item.name != "holdout_trips.parquet":
            (bare / item.name).symlink_to(item)
    with started(replace(settings, model=str(bare))) as client:
        rides = random_rides(client, baltimore, seed=5)
        record(client, rides, slowed(rides, seed=6), "ride")
        response = client.post("/v1/model/retrain", json={"train_days": 3, "holdout_days": 1})
    assert response.status_code == 409
    assert "no trusted holdout" in errors_of(response)[0]["reason"]


@pytest.mark.parametrize(
    "body", [{"train_days": 0}, {"holdout_days": 61}, {"min_improvement": 1}, {"tolerance": 0.5}]
)
def test_retrain_parameters_are_checked(shared_client: TestClient, body: dict[str, float]) -> None:
    """Out-of-range retraining windows and tolerances are a 422 naming the parameter."""
    response = shared_client.post("/v1/model/retrain", json=body)
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == next(iter(body))
