"""Retention: ``dispatch purge`` removes the patient data of old finished trips and keeps
coarse outcomes that retraining still learns from; idempotency records expire (on SQLite
and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import routing
from dispatch.api import ServiceSettings
from dispatch.api.store import Store
from dispatch.cli import main
from models import prepare_trips
from tests.stores import BACKENDS, query

from .helpers import HOME, errors_of, record_rides, started, trip

CUTOFF = datetime(2026, 3, 4, tzinfo=UTC)  # the rides of the first two days are older


def _execute(url: str, statement: str) -> None:
    """Run a statement over a new connection and commit it (the clock moved by hand)."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def _is_coarse(degrees: float) -> bool:
    """Whether a coordinate is the centre of a retention cell (a multiple of 0.01)."""
    return abs(degrees * 100 - round(degrees * 100)) < 1e-6


def _stop(trip_id: str, kind: str, location: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": trip_id, "kind": kind, "location": location}


def _book_old_trips(client: TestClient) -> None:
    """Trips due on 2 March: one left booked, one under way, one cancelled, one no-show."""
    for trip_id in ("open-old", "underway-old", "cancelled-old", "noshow-old"):
        body = trip(trip_id, pickup={**HOME, "name": f"home of {trip_id}"})
        headers = {"Idempotency-Key": f"key-{trip_id}"}
        assert client.post("/v1/trips", json=body, headers=headers).status_code == 201
    at = "2026-03-02T09:00:00-05:00"
    for trip_id, kind in (("underway-old", "picked_up"), ("noshow-old", "no_show")):
        event = client.post(f"/v1/trips/{trip_id}/events", json={"kind": kind, "at": at})
        assert event.status_code == 201, event.text
    assert client.delete("/v1/trips/cancelled-old").status_code == 200


def _dump(url: str) -> str:
    """Every row of the tables that could hold patient data, as text."""
    tables = ("trips", "idempotency_keys", "events", "predictions", "outcomes", "plans")
    return "\n".join(str(query(url, f"SELECT * FROM {t}")) for t in tables)


@BACKENDS
def test_purge_removes_old_finished_trips_and_keeps_their_outcomes(
    settings: ServiceSettings,
    store_url: str,
    baltimore: routing.RoadGraph,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only finished trips due before the date lose rider, places and keys; their outcomes
    stay with coarse points, retraining learns from them, and the trip reads as a 404."""
    with started(settings) as client:
        rides = record_rides(client, baltimore)
        _book_old_trips(client)
        old = sorted(t for t, departure in rides.items() if departure < CUTOFF)
        recent = sorted(set(rides) - set(old))
        assert old and recent
        store: Store = client.app.state.service.store
        before_cutoff = datetime(2026, 3, 1, tzinfo=UTC)
        store.save_plan({"routes": []}, "superseded", now=before_cutoff)
        point = {"lat": 39.30123, "lon": -76.60987, "name": "a clinic"}
        home = {**HOME, "name": "home of open-old"}
        stops = [_stop(old[0], "pickup", point), _stop("open-old", "pickup", home)]
        store.save_plan({"routes": [{"vehicle_id": "van-1", "stops": stops}]}, "live", now=CUTOFF)
        dump = _dump(store_url)
        assert "home of noshow-old" in dump and f'"rider-{old[0][5:]}"' in dump

        dry = ["purge", "--before", "2026-03-04", "--store", store_url, "--dry-run"]
        assert main(dry) == 0
        assert capsys.readouterr().out.startswith(f"would purge {len(old) + 2} finished trips")
        assert _dump(store_url) == dump  # a dry run changes nothing

        assert main(["purge", "--before", "2026-03-04", "--store", store_url]) == 0
        summary = capsys.readouterr().out
        assert summary.count("\n") == 1 and summary.startswith(f"purged {len(old) + 2} finished")
        for count in (
            f"trips {len(old) + 2}",
            "idempotency_keys 2",
            f"predictions {len(old)}",
            f"outcomes {len(old)}",
            "plans 1 deleted and 1 coarsened",
        ):
            assert count in summary

        purged = {*old, "cancelled-old", "noshow-old"}
        dump = _dump(store_url)
        for trip_id in purged:
            assert f'"rider-{trip_id.removeprefix("ride-")}"' not in dump
            assert f"home of {trip_id}" not in dump
        assert "home of open-old" in dump and "home of underway-old" in dump
        requests = dict(query(store_url, "SELECT id, request FROM trips"))
        assert {t for t, r in requests.items() if r == "{}"} == purged
        assert all("rider-" in r for t, r in requests.items() if t not in purged)
        keys = {k for (k,) in query(store_url, "SELECT key FROM idempotency_keys")}
        assert keys == {"key-open-old", "key-underway-old"}

        ends = "origin_lat, origin_lon, dest_lat, dest_lon"
        points = query(store_url, f"SELECT trip_id, {ends} FROM outcomes")
        assert len(points) == len(rides)
        assert all(all(map(_is_coarse, p[1:])) == (p[0] in purged) for p in points)
        for trip_id, features in query(store_url, "SELECT trip_id, features FROM predictions"):
            assert _is_coarse(json.loads(features)["origin_lat"]) == (trip_id in purged)
        [(plan,)] = query(store_url, "SELECT plan FROM plans")
        kept = json.loads(plan)["routes"][0]["stops"]
        assert kept[0]["location"] == {"lat": 39.3, "lon": -76.61}
        assert kept[1]["location"] == home

        gone = client.get(f"/v1/trips/{old[0]}")
        assert gone.status_code == 404 and "purged" in errors_of(gone)[0]["reason"]
        for trip_id in ("open-old", "underway-old", recent[0]):
            assert client.get(f"/v1/trips/{trip_id}").status_code == 200
        booked_again = client.post("/v1/trips", json=trip("cancelled-old"))
        assert booked_again.status_code == 409  # the id stays taken

        data = prepare_trips(pd.DataFrame(store.outcome_records()), baltimore)
        assert set(old) <= set(data.trips["trip_id"])  # the coarse rides are still learned from
        retrained = client.post("/v1/model/retrain", json={"train_days": 3, "holdout_days": 1})
        assert retrained.status_code == 200, retrained.text
        assert retrained.json()["n_outcomes"] == len(rides)

    assert main(["purge", "--before", "2026-03-04", "--store", store_url]) == 0
    assert capsys.readouterr().out.startswith("purged 0 finished trips")


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2999-01-01", "2999-01-01 is not in the past"),
        ("last week", "'last week' is not a date"),
        ("2026-02-30", "'2026-02-30' is not a date"),
    ],
)
def test_purge_refuses_a_bad_date(
    store_url: str, capsys: pytest.CaptureFixture[str], date: str, message: str
) -> None:
    """A date in the future or no date at all: one line naming --before, exit 2."""
    assert main(["purge", "--before", date, "--store", store_url]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--before" in error and message in error


@BACKENDS
def test_idempotency_records_expire(settings: ServiceSettings, store_url: str) -> None:
    """Within the time to live a retry replays; after it, the same key and body book no second
    trip (409); expired records are deleted when a key is written and at start-up."""
    with started(settings) as client:
        key = {"Idempotency-Key": "first"}
        assert client.post("/v1/trips", json=trip("t1"), headers=key).status_code == 201
        again = client.post("/v1/trips", json=trip("t1"), headers=key)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        aged = "UPDATE idempotency_keys SET created_at = '2026-03-01T00:00:00+00:00'"
        _execute(store_url, f"{aged} WHERE key = 'first'")
        late = client.post("/v1/trips", json=trip("t1"), headers=key)
        assert late.status_code == 409 and errors_of(late)[0]["field"] == "id"
        assert query(store_url, "SELECT count(*) FROM trips") == [(1,)]
        other = {"Idempotency-Key": "second"}
        assert client.post("/v1/trips", json=trip("t2"), headers=other).status_code == 201
        assert query(store_url, "SELECT key FROM idempotency_keys") == [("second",)]
        _execute(store_url, aged)
    with started(settings):
        assert query(store_url, "SELECT key FROM idempotency_keys") == []


def test_idempotency_ttl_is_a_positive_setting() -> None:
    """DISPATCH_IDEMPOTENCY_TTL_H is read as hours; zero is refused."""
    settings = ServiceSettings.from_env({"DISPATCH_IDEMPOTENCY_TTL_H": "0.5"})
    assert settings.idempotency_ttl().total_seconds() == 1800
    with pytest.raises(ValueError, match="idempotency_ttl_h must be a number > 0"):
        ServiceSettings.from_env({"DISPATCH_IDEMPOTENCY_TTL_H": "0"})
