"""Bad input on the real app: refused before anything is saved, 422 naming the field; one
impossible trip never fails the plan; bounded bodies, problems, solver queue and clients."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings
from dispatch.api.identity import Role
from dispatch.api.policy import Rule

from .helpers import CLINIC, DEPOT, HOME, errors_of, grant, started, trip, vehicle

TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


def _soon(**extra: Any) -> dict[str, Any]:
    """The helpers' trip, tomorrow (inside the default service window)."""
    extra.setdefault("appointment_at", f"{TOMORROW}T09:30:00-05:00")
    return trip(**extra)


def _van(vehicle_id: str = "van-1", vtype: Any = "wheelchair_van") -> dict[str, Any]:
    """The helpers' vehicle, on shift tomorrow."""
    return vehicle(
        vehicle_id,
        vtype,
        shift_start=f"{TOMORROW}T07:00:00-05:00",
        shift_end=f"{TOMORROW}T17:00:00-05:00",
    )


def _fields(response: Any) -> list[str | None]:
    return [e["field"] for e in errors_of(response)]


@pytest.fixture
def strict(settings: ServiceSettings) -> Iterator[TestClient]:
    """The app with the default service window (from yesterday to 400 days ahead)."""
    tight = settings.override(window_past_days=1.0, event_max_age_h=24.0)
    with started(tight, raise_server_exceptions=False) as client:
        yield client


def test_oversized_bodies_are_413_before_parsing(strict: TestClient) -> None:
    """A body over the limit is a JSON 413, declared or streamed without a length."""
    junk = b"[" * (2**20 + 1)
    declared = strict.post("/v1/eta", content=junk, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert "larger than the limit" in errors_of(declared)[0]["reason"]
    streamed = strict.post("/v1/eta", content=iter([junk[: 2**19], junk[2**19 :]]))
    assert streamed.status_code == 413
    assert strict.get("/health").status_code == 200


@pytest.mark.parametrize("bad_id", ["trip\u200f1", "trip\x001", "x" * 65, "a b", ""])
def test_ids_outside_the_pattern_are_422_and_not_saved(strict: TestClient, bad_id: str) -> None:
    """An id with a right-to-left mark, a NUL, a space or too many characters is refused."""
    response = strict.post(
        "/v1/trips",
        json=_soon(trip_id=bad_id, rider_id="rider-1"),
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 422
    assert _fields(response) == ["id"]
    again = strict.post(
        "/v1/trips",
        json=_soon(trip_id=bad_id, rider_id="rider-1"),
        headers={"Idempotency-Key": "k"},
    )
    assert again.status_code == 422
    assert strict.get("/v1/trips/trip%E2%80%8F1").status_code == 422


def test_long_place_names_are_422(strict: TestClient) -> None:
    """A place name of 20 kB is refused naming the field."""
    response = strict.post("/v1/trips", json=_soon(pickup={**HOME, "name": "x" * 20_000}))
    assert response.status_code == 422
    assert _fields(response) == ["pickup.name"]


def test_unrealistic_capacity_is_422(strict: TestClient) -> None:
    """A vehicle whose space limit is 1e16 is refused (it crashed the solver) and not saved."""
    vtype = {
        "name": "bus",
        "limits": [{"name": "seats", "limit": 1e16, "usage": {"ambulatory": 1}}],
    }
    response = strict.put("/v1/vehicles/bus-1", json=_van("bus-1", vtype))
    assert response.status_code == 422
    assert _fields(response) == ["type.limits.0.limit"]
    assert strict.get("/v1/vehicles/bus-1").status_code == 404


@pytest.mark.parametrize("year", [2300, 9999, 2020])
def test_bookings_outside_the_service_window_are_422(strict: TestClient, year: int) -> None:
    """A booking far ahead or in the past is refused naming the field; the plan still works."""
    body = _soon(trip_id="far", appointment_at=f"{year}-03-02T09:30:00-05:00")
    response = strict.post("/v1/trips", json=body)
    assert response.status_code == 422
    assert _fields(response) == ["appointment_at"]
    assert "service window" in errors_of(response)[0]["reason"]
    assert strict.get("/v1/trips/far").status_code == 404
    assert strict.put("/v1/vehicles/van-1", json=_van()).status_code == 201
    assert strict.post("/v1/plan", json={"time_limit_s": 0.5}).status_code == 201


def test_will_call_far_ahead_is_422_and_the_trip_stays_callable(strict: TestClient) -> None:
    """A will-call ready in 9999 is refused before saving; a real call then works."""
    assert strict.put("/v1/vehicles/van-1", json=_van()).status_code == 201
    assert strict.post("/v1/trips", json=_soon(trip_id="out")).status_code == 201
    ret = _soon(
        trip_id="ret",
        pickup=CLINIC,
        dropoff=HOME,
        appointment_at=None,
        ready_at=f"{TOMORROW}T11:00:00-05:00",
        will_call=True,
        return_of="out",
    )
    assert strict.post("/v1/trips", json=ret).status_code == 201
    far = strict.post("/v1/trips/ret/will-call", json={"ready_at": "9999-01-01T00:00:00Z"})
    assert far.status_code == 422
    assert _fields(far) == ["ready_at"]
    assert strict.get("/v1/trips/ret").json()["called_at"] is None
    call = {"ready_at": f"{TOMORROW}T11:30:00-05:00", "time_limit_s": 0.5}
    assert strict.post("/v1/trips/ret/will-call", json=call).status_code == 200


def test_positions_and_events_must_be_near_now(strict: TestClient) -> None:
    """A position or an event dated 9999 or last week is a 422; a real report is stored."""
    assert strict.put("/v1/vehicles/van-1", json=_van()).status_code == 201
    now = datetime.now(UTC)
    for at in ("9999-01-01T00:00:00Z", (now - timedelta(days=7)).isoformat()):
        position = strict.post("/v1/vehicles/van-1/position", json={**DEPOT, "at": at})
        assert position.status_code == 422
        assert _fields(position) == ["at"]
    real = strict.post("/v1/vehicles/van-1/position", json={**HOME, "at": now.isoformat()})
    assert real.json()["stored"] is True
    assert strict.post("/v1/trips", json=_soon()).status_code == 201
    event = strict.post(
        "/v1/trips/trip-1/events", json={"kind": "picked_up", "at": "9999-01-01T00:00:00Z"}
    )
    assert event.status_code == 422
    assert _fields(event) == ["at"]
    assert strict.get("/v1/trips/trip-1").json()["status"] == "booked"


def test_one_impossible_trip_does_not_fail_the_plan(strict: TestClient) -> None:
    """A stretcher trip with no stretcher van is left unassigned with its reason; the others
    are planned."""
    assert strict.put("/v1/vehicles/van-1", json=_van()).status_code == 201
    assert strict.post("/v1/trips", json=_soon(trip_id="chair")).status_code == 201
    stretcher = _soon(trip_id="stretcher", mobility="stretcher")
    assert strict.post("/v1/trips", json=stretcher).status_code == 201
    plan = strict.post("/v1/plan", json={"time_limit_s": 1})
    assert plan.status_code == 201, plan.text
    unassigned = {u["request_id"]: u for u in plan.json()["unassigned"]}
    assert unassigned["stretcher"]["reason"] == "no_compatible_vehicle"
    assert "stretcher" in unassigned["stretcher"]["detail"]
    planned = {s["request_id"] for r in plan.json()["routes"] for s in r["stops"]}
    assert "chair" in planned


def test_problem_size_caps(settings: ServiceSettings) -> None:
    """``/v1/match`` and ``/v1/schedule`` refuse problems over their caps, naming the field."""
    capped = settings.override(max_match_vehicles=2, max_schedule_requests=1)
    with started(capped) as client:
        vans = [vehicle(f"v{i}") for i in range(3)]
        body = {"vehicles": vans, "requests": [], "now": "2026-03-02T08:00:00-05:00"}
        match = client.post("/v1/match", json=body)
        assert match.status_code == 422
        assert _fields(match) == ["vehicles"]
        schedule = client.post(
            "/v1/schedule", json={"vehicles": [vehicle()], "requests": [trip("a"), trip("b")]}
        )
        assert schedule.status_code == 422
        assert _fields(schedule) == ["requests"]


def test_a_full_solver_queue_is_503_with_retry_after(settings: ServiceSettings) -> None:
    """With one solver and no queue, a second concurrent solve is refused with Retry-After,
    while ``/health`` answers."""
    single = settings.override(solver_workers=1, solver_queue=0)
    body = {"requests": [trip()], "vehicles": [vehicle()], "time_limit_s": 3}
    with started(single) as client:
        assert client.post("/v1/schedule", json={**body, "time_limit_s": 0.2}).status_code == 200
        statuses: list[int] = []

        def long_solve() -> None:  # retried while a quick solve holds the solver
            while (answer := client.post("/v1/schedule", json=body)).status_code == 503:
                time.sleep(0.05)
            statuses.append(answer.status_code)

        first = threading.Thread(target=long_solve)
        first.start()
        busy = None
        for _ in range(200):
            busy = client.post("/v1/schedule", json={**body, "time_limit_s": 0.2})
            if busy.status_code == 503:
                break
        assert busy is not None and busy.status_code == 503
        assert busy.headers["retry-after"].isdigit()
        assert client.get("/health").status_code == 200
        first.join()
        assert statuses == [200]


def test_rate_limit_per_credential(settings: ServiceSettings) -> None:
    """Over its rate a credential gets 429 with Retry-After; another credential from the
    same address still gets through; ``/health`` is never limited."""
    with started(settings.override(rate_limit="3/minute")) as client:
        codes = [client.get("/v1/trips/t-1").status_code for _ in range(4)]
        assert codes == [404, 404, 404, 429]
        limited = client.get("/v1/trips/t-1")
        assert int(limited.headers["retry-after"]) >= 1
        assert "requests with this credential" in errors_of(limited)[0]["reason"]
        other = grant(client.app, Role.DISPATCHER)  # type: ignore[arg-type]
        assert client.get("/v1/trips/t-1", headers=other).status_code == 404
        assert client.get("/health").status_code == 200


def test_delete_vehicle(strict: TestClient) -> None:
    """A vehicle can be removed: 204, then 404."""
    assert strict.put("/v1/vehicles/van-1", json=_van()).status_code == 201
    assert strict.delete("/v1/vehicles/van-1").status_code == 204
    assert strict.get("/v1/vehicles/van-1").status_code == 404
    assert strict.delete("/v1/vehicles/van-1").status_code == 404


def test_unexpected_errors_are_json_500_with_a_request_id(
    strict: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error is a JSON 500 naming a request id, without internals; the log
    has the traceback under that id."""

    def broken() -> None:
        msg = "secret internals"
        raise RuntimeError(msg)

    strict.app.add_api_route("/broken", broken)  # type: ignore[attr-defined]
    strict.app.state.policy[("GET", "/broken")] = Rule(frozenset({Role.ADMIN}))  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="dispatch.api"):
        response = strict.get("/broken")
    assert response.status_code == 500
    (error,) = errors_of(response)
    assert "secret" not in response.text
    request_id = error["reason"].rsplit(" ", 1)[-1].rstrip(")")
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


def test_location_is_percent_encoded(strict: TestClient) -> None:
    """The Location of a booking percent-encodes the id."""
    response = strict.post("/v1/trips", json=_soon(trip_id="a:b"))
    assert response.status_code == 201
    assert response.headers["location"] == "/v1/trips/a%3Ab"


def test_idempotency_key_reuse_and_replay_after_cancel(strict: TestClient) -> None:
    """A key reused with another body is a 422 naming no other booking; a replay after a
    cancellation gives the trip's current status."""
    key = {"Idempotency-Key": "same-key"}
    assert strict.post("/v1/trips", json=_soon(trip_id="first"), headers=key).status_code == 201
    other = strict.post("/v1/trips", json=_soon(trip_id="second"), headers=key)
    assert other.status_code == 422
    assert "first" not in other.text
    assert strict.delete("/v1/trips/first").status_code == 200
    replay = strict.post("/v1/trips", json=_soon(trip_id="first"), headers=key)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["status"] == "cancelled"
