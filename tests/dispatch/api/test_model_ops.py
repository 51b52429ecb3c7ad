"""Model operations: outcomes recorded over HTTP, retraining, promotion that survives restarts
(on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

import routing
from dispatch.api import ServiceSettings
from tests.stores import BACKENDS

from .helpers import errors_of, started

SLOWDOWN = 2.0  # real rides take twice the free-flow time: slower than the model expects
DAYS, PER_DAY = 4, 20
START = datetime.fromisoformat("2026-03-02T07:00:00-05:00")


def _record_rides(client: TestClient, graph: routing.RoadGraph, seed: int = 0) -> None:
    """Book trips and report their pickup and dropoff: rides take SLOWDOWN x free flow x noise."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(graph.n_nodes, size=(DAYS * PER_DAY, 2), replace=True)
    points = [
        (
            {"lat": float(graph.lat[a]), "lon": float(graph.lon[a])},
            {"lat": float(graph.lat[b]), "lon": float(graph.lon[b])},
        )
        for a, b in nodes
    ]
    departures = [
        START + timedelta(days=k // PER_DAY, minutes=30 * (k % PER_DAY)) for k in range(len(points))
    ]
    items = [
        {"origin": o, "destination": d, "departure": t.isoformat()}
        for (o, d), t in zip(points, departures, strict=True)
    ]
    free_flow = [
        e["free_flow_s"] for e in client.post("/v1/eta", json={"items": items}).json()["estimates"]
    ]
    for k, ((pickup, dropoff), departure, seconds) in enumerate(
        zip(points, departures, free_flow, strict=True)
    ):
        if seconds < 60:  # too short to be a believable ride
            continue
        trip_id = f"ride-{k}"
        booking = {
            "id": trip_id,
            "rider_id": f"rider-{k}",
            "pickup": pickup,
            "dropoff": dropoff,
            "mobility": "ambulatory",
            "ready_at": departure.isoformat(),
        }
        assert client.post("/v1/trips", json=booking).status_code == 201
        noise = float(rng.lognormal(0.0, 0.15))
        arrived = departure + timedelta(seconds=SLOWDOWN * seconds * noise)
        for kind, at in (("picked_up", departure), ("dropped_off", arrived)):
            event = {"kind": kind, "at": at.isoformat()}
            assert client.post(f"/v1/trips/{trip_id}/events", json=event).status_code == 201


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
        _record_rides(client, baltimore)
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
