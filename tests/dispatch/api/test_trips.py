"""Trips over the store, on SQLite and PostgreSQL: booking with idempotency keys, status,
cancel, outcome events."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings
from tests.stores import BACKENDS, query

from .helpers import errors_of, trip

pytestmark = BACKENDS


def _count_trips(settings: ServiceSettings) -> int:
    [(count,)] = query(settings.database_url(), "SELECT count(*) FROM trips")
    return int(count)


def test_booking_is_stored_and_readable(client: TestClient, settings: ServiceSettings) -> None:
    """A booking answers 201 with the trip and its location; it is in the database."""
    response = client.post("/v1/trips", json=trip("t1"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/trips/t1"
    assert response.json()["status"] == "booked"
    assert _count_trips(settings) == 1
    read = client.get("/v1/trips/t1")
    assert read.status_code == 200
    assert read.json()["request"] == response.json()["request"]


def test_retries_with_the_same_key_book_once(client: TestClient, settings: ServiceSettings) -> None:
    """The same key and body replays the first answer; the same key with another body is 422."""
    headers = {"Idempotency-Key": "booking-42"}
    first = client.post("/v1/trips", json=trip("t1"), headers=headers)
    again = client.post("/v1/trips", json=trip("t1"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert (first.headers["idempotent-replayed"], again.headers["idempotent-replayed"]) == (
        "false",
        "true",
    )
    other = client.post("/v1/trips", json=trip("t2"), headers=headers)
    assert other.status_code == 422
    assert errors_of(other)[0]["field"] == "header.Idempotency-Key"
    assert _count_trips(settings) == 1


def test_booking_an_existing_id_without_key_conflicts(client: TestClient) -> None:
    """A second booking of the same id (no key) is a 409 naming the id."""
    assert client.post("/v1/trips", json=trip("t1")).status_code == 201
    response = client.post("/v1/trips", json=trip("t1"))
    assert response.status_code == 409
    assert errors_of(response)[0]["field"] == "id"


def test_ride_outcome_feeds_the_monitor(client: TestClient, settings: ServiceSettings) -> None:
    """Pickup then dropoff completes the trip, stores the outcome and updates the monitor."""
    client.post("/v1/trips", json=trip("t1"))
    picked = client.post(
        "/v1/trips/t1/events", json={"kind": "picked_up", "at": "2026-03-02T09:00:00-05:00"}
    )
    assert picked.status_code == 201, picked.text
    assert picked.json()["status"] == "picked_up"
    dropped = client.post(
        "/v1/trips/t1/events",
        json={
            "kind": "dropped_off",
            "at": "2026-03-02T09:07:30-05:00",
            "observations": {"congestion_index": 1.3},
        },
    )
    assert dropped.status_code == 201, dropped.text
    assert dropped.json()["status"] == "completed"
    assert [e["kind"] for e in dropped.json()["events"]] == ["picked_up", "dropped_off"]
    monitor = client.get("/v1/model").json()["monitor"]
    assert monitor["n"] == 1
    assert monitor["reference"] == "training features"
    assert query(settings.database_url(), "SELECT duration_s FROM outcomes") == [(450.0,)]
    metrics = client.get("/metrics").text
    assert "dispatch_eta_rolling_outcomes 1.0" in metrics


def test_cancel_and_its_conflicts(client: TestClient) -> None:
    """A booked trip can be cancelled once; a completed one cannot (409)."""
    client.post("/v1/trips", json=trip("t1"))
    cancelled = client.delete("/v1/trips/t1")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = client.delete("/v1/trips/t1")
    assert again.status_code == 409
    assert "cancelled" in errors_of(again)[0]["reason"]
    client.post("/v1/trips", json=trip("t2"))
    for kind, at in (("picked_up", "09:00"), ("dropped_off", "09:10")):
        event = {"kind": kind, "at": f"2026-03-02T{at}:00-05:00"}
        assert client.post("/v1/trips/t2/events", json=event).status_code == 201
    completed = client.delete("/v1/trips/t2")
    assert completed.status_code == 409
    assert "completed" in errors_of(completed)[0]["reason"]


def test_events_out_of_order(client: TestClient) -> None:
    """A dropoff before a pickup is a 409; a dropoff timed before its pickup is a 422 on `at`."""
    client.post("/v1/trips", json=trip("t1"))
    early = client.post(
        "/v1/trips/t1/events", json={"kind": "dropped_off", "at": "2026-03-02T09:00:00-05:00"}
    )
    assert early.status_code == 409
    assert errors_of(early)[0]["field"] == "kind"
    client.post(
        "/v1/trips/t1/events", json={"kind": "picked_up", "at": "2026-03-02T09:00:00-05:00"}
    )
    backwards = client.post(
        "/v1/trips/t1/events", json={"kind": "dropped_off", "at": "2026-03-02T08:59:00-05:00"}
    )
    assert backwards.status_code == 422
    assert errors_of(backwards)[0]["field"] == "at"
    no_show = client.post(
        "/v1/trips/t1/events", json={"kind": "no_show", "at": "2026-03-02T09:01:00-05:00"}
    )
    assert no_show.status_code == 409


def test_return_trip_must_name_a_booked_outbound(client: TestClient) -> None:
    """``return_of`` naming no stored trip is a 422 on that field; naming one books."""
    ret = trip("t1-back", return_of="t1", appointment_at=None, ready_at="2026-03-02T11:00:00-05:00")
    response = client.post("/v1/trips", json=ret)
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == "return_of"
    client.post("/v1/trips", json=trip("t1"))
    assert client.post("/v1/trips", json=ret).status_code == 201
