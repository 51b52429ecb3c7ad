"""Model operations: outcomes recorded over HTTP, retraining, promotion that survives restarts
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import routing
from dispatch.api import ServiceSettings
from tests.stores import BACKENDS

from .helpers import errors_of, record_rides, started


@BACKENDS
def test_retraining_promotes_a_better_model_and_keeps_it(
    settings: ServiceSettings, baltimore: routing.RoadGraph
) -> None:
    """Rides slower than predicted raise the live error; the retrained model beats the current
    one on the held-out day, is promoted, and is still in service after a restart."""
    with started(settings) as client:
        too_few = client.post("/v1/model/retrain", json={})
        assert too_few.status_code == 409
        assert "retraining needs at least" in errors_of(too_few)[0]["reason"]
        before = client.get("/v1/model").json()
        record_rides(client, baltimore)
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
        decision = promoted["decision"]
        assert decision["candidate_mae_s"] < decision["current_mae_s"]
        assert promoted["model_version"] == promoted["candidate_version"] != before["version"]
        after = client.get("/v1/model").json()
        assert after["version"] == promoted["candidate_version"]
        assert after["monitor"]["n"] == 0  # a new model starts a new rolling window
        assert after["monitor"]["reference"] == "training features"
    with started(settings) as restarted:
        assert restarted.get("/v1/model").json()["version"] == promoted["candidate_version"]
        assert restarted.get("/health").json()["model_version"] == promoted["candidate_version"]


@pytest.mark.parametrize("body", [{"train_days": 0}, {"holdout_days": 61}, {"min_improvement": 1}])
def test_retrain_parameters_are_checked(shared_client: TestClient, body: dict[str, float]) -> None:
    """Out-of-range retraining windows are a 422 naming the parameter."""
    response = shared_client.post("/v1/model/retrain", json=body)
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == next(iter(body))
