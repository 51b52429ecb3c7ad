"""Each error class on the real app: JSON naming the field and the reason, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings, create_app

from .helpers import CLINIC, DEPOT, OFF_MAP, bearer, errors_of, trip, vehicle


def test_invalid_body_422_names_each_field(shared_client: TestClient) -> None:
    """Pydantic validation errors come back as dotted field paths with their reasons."""
    body = {"items": [{"origin": {"lat": 91, "lon": -76.6}, "destination": CLINIC}]}
    response = shared_client.post("/v1/eta", json=body)
    assert response.status_code == 422
    fields = {e["field"] for e in errors_of(response)}
    assert fields == {"items.0.origin.lat", "items.0.departure"}


def test_naive_times_are_refused(shared_client: TestClient) -> None:
    """A departure without a time zone is a 422 on that field."""
    item = {"origin": DEPOT, "destination": CLINIC, "departure": "2026-03-02T08:00:00"}
    response = shared_client.post("/v1/eta", json={"items": [item]})
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == "items.0.departure"


def test_malformed_json_is_422(shared_client: TestClient) -> None:
    """A body that is not JSON is a 422 for the whole request."""
    response = shared_client.post(
        "/v1/eta", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] is None


def test_domain_rules_are_422(shared_client: TestClient) -> None:
    """Valid objects that are impossible together (no vehicle carries a stretcher) are a 422."""
    body = {"requests": [trip(mobility="stretcher")], "vehicles": [vehicle(vtype="sedan")]}
    response = shared_client.post("/v1/schedule", json=body)
    assert response.status_code == 422
    assert "space need no vehicle type has" in errors_of(response)[0]["reason"]
    duplicate = {"requests": [trip("a"), trip("a")], "vehicles": [vehicle()]}
    response = shared_client.post("/v1/schedule", json=duplicate)
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == "requests.1.id"


def test_off_map_point_is_422(shared_client: TestClient) -> None:
    """A booking whose pickup is off the map is refused naming ``pickup``."""
    response = shared_client.post("/v1/trips", json=trip("off", pickup=OFF_MAP))
    assert response.status_code == 422
    assert [e["field"] for e in errors_of(response)] == ["pickup"]


def test_out_of_range_times_are_422(shared_client: TestClient) -> None:
    """Numbers that overflow a date are a 422, not a 500."""
    body = trip("far", appointment_at=None, ready_at="9999-12-31T23:00:00Z", pickup_window_s=1e15)
    response = shared_client.post(
        "/v1/match", json={"vehicles": [vehicle()], "requests": [body], "now": "2026-03-02T08:00Z"}
    )
    assert response.status_code == 422, response.text
    assert errors_of(response)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/trips/nope", None),
        ("DELETE", "/v1/trips/nope", None),
        ("POST", "/v1/trips/nope/events", {"kind": "no_show", "at": "2026-03-02T08:00:00Z"}),
        ("POST", "/v1/trips/nope/will-call", {}),
        ("GET", "/v1/vehicles/nope", None),
        ("POST", "/v1/vehicles/nope/position", {**DEPOT, "at": "2026-03-02T08:00:00Z"}),
    ],
)
def test_unknown_ids_are_404(
    shared_client: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    """Every id lookup answers 404 naming the id field."""
    response = shared_client.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert errors_of(response)[0]["field"] in {"trip_id", "vehicle_id"}


def test_state_conflict_is_409(client: TestClient) -> None:
    """Planning without vehicles, or calling a trip that is not a will-call, is a 409."""
    assert client.post("/v1/plan", json={}).status_code == 409
    client.post("/v1/trips", json=trip("t1"))
    client.put("/v1/vehicles/van-1", json=vehicle())
    response = client.post("/v1/trips/t1/will-call", json={})
    assert response.status_code == 409
    assert "not a will-call" in errors_of(response)[0]["reason"]


def test_not_ready_is_503(settings: ServiceSettings) -> None:
    """Before start-up has loaded graph and model, /health and the API answer 503 (a key
    cannot be checked before the store is open)."""
    client = TestClient(create_app(settings), headers=bearer("nemt_0_0"))  # no lifespan
    assert client.get("/health").json() == {
        "status": "loading",
        "graph": None,
        "nodes": None,
        "model_version": None,
    }
    assert client.get("/health").status_code == 503
    response = client.post("/v1/eta", json={"items": [{"origin": DEPOT}]})
    assert response.status_code in {422, 503}
    assert client.get("/v1/model").status_code == 503
