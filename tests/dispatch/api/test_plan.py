"""The live plan over the store, on SQLite and PostgreSQL: plan the booked trips, then insert a
will-call return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings
from tests.stores import BACKENDS

from .helpers import CLINIC, HOME, errors_of, started, trip, vehicle

pytestmark = BACKENDS


def _planned_ids(plan: dict[str, object]) -> set[str]:
    routes = plan["routes"]
    assert isinstance(routes, list)
    return {s["request_id"] for r in routes for s in r["stops"] if s["request_id"]}


def _will_call_return_of(outbound: str) -> dict[str, Any]:
    """Trip "back": the will-call return home from the clinic of trip ``outbound``."""
    return trip(
        "back",
        pickup=CLINIC,
        dropoff=HOME,
        appointment_at=None,
        ready_at="2026-03-02T10:00:00-05:00",
        will_call=True,
        return_of=outbound,
    )


def test_plan_then_insert_the_will_call(client: TestClient) -> None:
    """The uncalled return waits outside the plan; its call inserts it, keeping the rest."""
    assert client.get("/v1/plan").status_code == 404
    assert client.put("/v1/vehicles/van-1", json=vehicle()).status_code == 201
    assert client.put("/v1/vehicles/van-1", json=vehicle()).status_code == 200
    client.put("/v1/vehicles/van-2", json=vehicle("van-2"))
    client.post("/v1/trips", json=trip("out"))
    client.post("/v1/trips", json=trip("other", appointment_at="2026-03-02T10:30:00-05:00"))
    back = _will_call_return_of("out")
    assert client.post("/v1/trips", json=back).status_code == 201

    made = client.post("/v1/plan", json={"time_limit_s": 1})
    assert made.status_code == 201, made.text
    plan = made.json()
    assert _planned_ids(plan) == {"out", "other"}
    assert plan["unassigned"] == []
    assert client.get("/v1/plan").json()["plan_id"] == plan["plan_id"]
    out = client.get("/v1/trips/out").json()
    assert out["planned"]["vehicle_id"] in {"van-1", "van-2"}

    # the outbound rider is picked up: that stop stays where it is
    client.post(
        "/v1/trips/out/events", json={"kind": "picked_up", "at": "2026-03-02T09:05:00-05:00"}
    )
    called = client.post("/v1/trips/back/will-call", json={"ready_at": "2026-03-02T11:20:00-05:00"})
    assert called.status_code == 200, called.text
    result = called.json()
    assert result["plan_id"] > plan["plan_id"]
    assert result["unassigned_reason"] is None
    assert result["trip"]["called_at"] is not None
    ready = datetime.fromisoformat("2026-03-02T11:20:00-05:00")
    assert datetime.fromisoformat(result["trip"]["request"]["ready_at"]) == ready
    planned = result["trip"]["planned"]
    assert datetime.fromisoformat(planned["pickup_start"]) >= ready
    current = client.get("/v1/plan").json()
    assert current["reason"] == "will-call back"
    assert _planned_ids(current) == {"out", "other", "back"}
    again = client.post("/v1/trips/back/will-call", json={})
    assert again.status_code == 409
    assert "called already" in errors_of(again)[0]["reason"]


def test_vehicle_positions(client: TestClient) -> None:
    """A position is stored; an older report than the last one is ignored."""
    client.put("/v1/vehicles/van-1", json=vehicle())
    first = {"lat": 39.2950, "lon": -76.6000, "at": "2026-03-02T08:40:00-05:00"}
    stale = {"lat": 39.2904, "lon": -76.6122, "at": "2026-03-02T08:30:00-05:00"}
    assert client.post("/v1/vehicles/van-1/position", json=first).json()["stored"] is True
    answer = client.post("/v1/vehicles/van-1/position", json=stale).json()
    assert answer["stored"] is False
    assert answer["position"]["lat"] == first["lat"]
    assert client.get("/v1/vehicles/van-1").json()["position"]["lat"] == first["lat"]
    mismatch = client.put("/v1/vehicles/van-1", json=vehicle("van-9"))
    assert mismatch.status_code == 422
    assert errors_of(mismatch)[0]["field"] == "id"


def test_will_call_after_a_restart_replans_with_the_outbound_done(
    settings: ServiceSettings,
) -> None:
    """With no live plan in memory (a restart) and the outbound completed, the call re-plans
    the open trips and the return is planned on its own."""
    with started(settings) as client:
        client.put("/v1/vehicles/van-1", json=vehicle())
        client.post("/v1/trips", json=trip("out"))
        back = _will_call_return_of("out")
        client.post("/v1/trips", json=back)
        assert client.post("/v1/plan", json={"time_limit_s": 1}).status_code == 201
        for kind, at in (("picked_up", "09:00"), ("dropped_off", "09:12")):
            event = {"kind": kind, "at": f"2026-03-02T{at}:00-05:00"}
            assert client.post("/v1/trips/out/events", json=event).status_code == 201
    with started(settings) as restarted:
        called = restarted.post(
            "/v1/trips/back/will-call", json={"ready_at": "2026-03-02T11:00:00-05:00"}
        )
        assert called.status_code == 200, called.text
        assert called.json()["unassigned_reason"] is None
        assert called.json()["trip"]["planned"]["vehicle_id"] == "van-1"
        assert _planned_ids(restarted.get("/v1/plan").json()) == {"back"}
