"""Stateless endpoints on the real app: ETAs, routes, matching and scheduling."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient

from .helpers import CLINIC, DEPOT, HOME, OFF_MAP, errors_of, trip, vehicle

DEPARTURE = "2026-03-02T08:15:00-05:00"


def test_eta_batch_answers_each_pair_in_order(shared_client: TestClient) -> None:
    """A batch gets one estimate per item, in order, with P50 <= P90 and the model version."""
    items = [
        {"origin": DEPOT, "destination": CLINIC, "departure": DEPARTURE},
        {"origin": CLINIC, "destination": DEPOT, "departure": DEPARTURE},
        {"origin": DEPOT, "destination": HOME, "departure": "2026-03-02T03:00:00Z"},
    ]
    response = shared_client.post("/v1/eta", json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"]
    assert len(body["estimates"]) == 3
    for estimate in body["estimates"]:
        assert 0 < estimate["free_flow_s"] < 3600
        assert 0 < estimate["p50_s"] <= estimate["p90_s"]
        assert estimate["distance_m"] > 0
    # the same pair at the same time gets the same answer; another pair another one
    again = shared_client.post("/v1/eta", json={"items": items[:1]}).json()["estimates"][0]
    assert again == body["estimates"][0]
    assert body["estimates"][1]["free_flow_s"] != body["estimates"][0]["free_flow_s"]


def test_route_has_geometry_time_and_distance(shared_client: TestClient) -> None:
    """The route's polyline runs from near the origin to near the destination; free flow
    time agrees with /v1/eta for the same pair."""
    body = {"origin": DEPOT, "destination": CLINIC, "departure": DEPARTURE}
    response = shared_client.post("/v1/route", json=body)
    assert response.status_code == 200, response.text
    route = response.json()
    coordinates = route["geometry"]["coordinates"]
    assert route["geometry"]["type"] == "LineString"
    assert len(coordinates) >= 2
    start_lon, start_lat = coordinates[0]
    end_lon, end_lat = coordinates[-1]
    assert math.dist((start_lat, start_lon), (DEPOT["lat"], DEPOT["lon"])) < 0.005
    assert math.dist((end_lat, end_lon), (CLINIC["lat"], CLINIC["lon"])) < 0.005
    eta = shared_client.post("/v1/eta", json={"items": [body]}).json()["estimates"][0]
    assert route["travel_time_s"] == eta["free_flow_s"]
    assert route["distance_m"] == eta["distance_m"]
    assert route["p50_s"] == eta["p50_s"]


def test_match_assigns_and_explains_the_unmatched(shared_client: TestClient) -> None:
    """A wheelchair van takes the wheelchair rider; the stretcher rider has no feasible vehicle."""
    ready = "2026-03-02T08:00:00-05:00"
    body = {
        "vehicles": [vehicle("van-1", position=HOME), vehicle("sedan-1", "sedan")],
        "requests": [
            trip("wc", appointment_at=None, ready_at=ready),
            trip("stretcher", appointment_at=None, ready_at=ready, mobility="stretcher"),
        ],
        "now": ready,
    }
    response = shared_client.post("/v1/match", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(a["vehicle_id"], a["request_id"]) for a in result["assignments"]] == [("van-1", "wc")]
    assert result["assignments"][0]["seconds_to_pickup"] >= 0
    assert result["unmatched"] == [{"request_id": "stretcher", "reason": "no feasible vehicle"}]


def test_schedule_routes_every_request_or_says_why(shared_client: TestClient) -> None:
    """Each request is either on a route (pickup before dropoff) or unassigned with a reason."""
    requests = [
        trip("early", appointment_at="2026-03-02T09:00:00-05:00"),
        trip("late", appointment_at="2026-03-02T13:00:00-05:00", pickup=DEPOT),
        trip("impossible", appointment_at="2026-03-02T11:00:00-05:00", max_ride_s=1),
    ]
    body = {"requests": requests, "vehicles": [vehicle()], "time_limit_s": 1}
    response = shared_client.post("/v1/schedule", json=body)
    assert response.status_code == 200, response.text
    plan = response.json()
    planned = {}
    for route in plan["routes"]:
        for k, stop in enumerate(route["stops"]):
            if stop["request_id"]:
                planned.setdefault(stop["request_id"], []).append((k, stop["kind"]))
    unassigned = {u["request_id"]: u["reason"] for u in plan["unassigned"]}
    assert set(planned) | set(unassigned) == {"early", "late", "impossible"}
    assert not set(planned) & set(unassigned)
    for stops in planned.values():
        assert [kind for _, kind in stops] == ["pickup", "dropoff"]
    assert set(planned) >= {"early", "late"}
    assert unassigned == {"impossible": "ride_time_impossible"}
    assert plan["model_version"]


def test_points_off_the_map_are_named(shared_client: TestClient) -> None:
    """Every point beyond the snap distance is a 422 naming its field."""
    items = [
        {"origin": DEPOT, "destination": CLINIC, "departure": DEPARTURE},
        {"origin": OFF_MAP, "destination": CLINIC, "departure": DEPARTURE},
    ]
    response = shared_client.post("/v1/eta", json={"items": items})
    assert response.status_code == 422
    assert [e["field"] for e in errors_of(response)] == ["items.1.origin"]
    body = {"requests": [trip(dropoff=OFF_MAP)], "vehicles": [vehicle()]}
    response = shared_client.post("/v1/schedule", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in errors_of(response)] == ["requests.0.dropoff"]
    assert "from the road network" in errors_of(response)[0]["reason"]


def test_metrics_count_requests_and_time_the_solver(shared_client: TestClient) -> None:
    """/metrics has request counts and latency per route template, and the solver's time."""
    body = {"vehicles": [vehicle()], "requests": [], "now": "2026-03-02T08:00:00-05:00"}
    assert shared_client.post("/v1/match", json=body).status_code == 200
    assert shared_client.get("/v1/trips/unknown-id").status_code == 404
    text = shared_client.get("/metrics").text
    assert 'dispatch_http_requests_total{endpoint="/v1/match",method="POST",status="200"}' in text
    assert 'endpoint="/v1/trips/{trip_id}",method="GET",status="404"' in text
    assert "unknown-id" not in text
    assert 'dispatch_http_request_duration_seconds_bucket{endpoint="/v1/match"' in text
    assert 'dispatch_solver_duration_seconds_count{solver="match"}' in text
