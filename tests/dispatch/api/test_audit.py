"""The audit log on the real app: one row per write and per read of patient data, refused
ones included, with the principal, role, action, object and status; admins alone read it
(``GET /v1/audit``, ``dispatch audit``); request ids; and no patient data in the audit
log or in any log record of a full day's requests.

Patient data here: place names, the coordinates of the places riders are picked up and
dropped off, and rider ids (pseudonymous, but they link every trip of one person). Trip and
vehicle ids are operational ids: the audit log and the access log name them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dispatch.api import ServiceSettings
from dispatch.api.api_keys import create_key
from dispatch.api.identity import Role
from dispatch.api.policy import Rule
from dispatch.cli import main
from tests.stores import BACKENDS, query

from .helpers import DEPOT, OFF_MAP, bearer, errors_of, started, trip, vehicle

SINCE = "2000-01-01T00:00:00Z"
HOME = {"lat": 39.30137, "lon": -76.60519, "name": "Rosa Parks Home"}
CLINIC = {"lat": 39.29713, "lon": -76.59308, "name": "Harriet Tubman Dialysis Center"}
RIDER = "rider-zq7x"
NEEDLES = [
    HOME["name"],
    CLINIC["name"],
    RIDER,
    *(
        text
        for place in (HOME, CLINIC)
        for coordinate in (place["lat"], place["lon"])
        for text in (str(coordinate), f"{coordinate:.4f}", f"{coordinate:.5f}")
    ),
]
"""What must never reach a log or the audit log."""

Row = tuple[str, str | None, str, str | None, int]
"""(principal, role, action, object id, status) of an audit row."""


@dataclass
class Day:
    """The requests of a day on the app, the audit rows they should leave, and the request
    ids of their responses."""

    client: TestClient
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    expected: list[Row] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)

    def send(
        self,
        who: str | None,
        method: str,
        url: str,
        status: int,
        action: str | None,
        object_id: str | None = None,
        body: Any = None,
    ) -> Any:
        """Call ``url`` as the key named ``who`` (None: no credential) and check ``status``;
        ``action`` is the audit row's action (None: not audited)."""
        headers = {"Authorization": ""} if who is None else self.keys[who]
        response = self.client.request(method, url, json=body, headers=headers)
        assert response.status_code == status, response.text
        assert len(response.headers["x-request-id"]) == 32
        if action is not None:
            role = None if who is None else ROLES[who].value
            self.expected.append((who or "anonymous", role, action, object_id, status))
            self.request_ids.append(response.headers["x-request-id"])
        return response


ROLES = {
    "ops-admin": Role.ADMIN,
    "desk-1": Role.DISPATCHER,
    "van-1-driver": Role.DRIVER,
    "analyst-1": Role.ANALYST,
}


def _explode() -> None:
    msg = "an unexpected failure"
    raise RuntimeError(msg)


@pytest.fixture
def day_client(settings: ServiceSettings) -> Iterator[TestClient]:
    """The app (500s answered, not raised) with a route that fails unexpectedly."""
    with started(settings, raise_server_exceptions=False) as client:
        app: Any = client.app
        app.add_api_route("/v1/trips/{trip_id}/explode", _explode, methods=["POST"])
        app.state.policy[("POST", "/v1/trips/{trip_id}/explode")] = Rule(frozenset({Role.ADMIN}))
        yield client


def _day(client: TestClient) -> Day:
    """Book, plan, read, ride, call, cancel, fail and be refused, as each role."""
    day = Day(client)
    store = client.app.state.service.store  # type: ignore[attr-defined]
    for name, role in ROLES.items():
        vehicle_id = "van-1" if role is Role.DRIVER else None
        day.keys[name] = bearer(create_key(store, name, role, vehicle_id).key)
    send = day.send
    outbound = trip("t-out", rider_id=RIDER, pickup=HOME, dropoff=CLINIC)
    back = trip(
        "t-back",
        rider_id=RIDER,
        pickup=CLINIC,
        dropoff=HOME,
        appointment_at=None,
        ready_at="2026-03-02T10:00:00-05:00",
        will_call=True,
        return_of="t-out",
    )
    other = trip("t-cancel", rider_id=RIDER, pickup=HOME, dropoff=CLINIC)
    event = {"kind": "picked_up", "at": "2026-03-02T09:02:00-05:00", "vehicle_id": "van-1"}
    position = {**DEPOT, "at": "2026-03-02T09:00:00-05:00"}

    registered = "PUT /v1/vehicles/{vehicle_id}"
    send("ops-admin", "PUT", "/v1/vehicles/van-1", 201, registered, "van-1", vehicle())
    send("desk-1", "POST", "/v1/trips", 201, "POST /v1/trips", "t-out", outbound)
    send("desk-1", "POST", "/v1/trips", 201, "POST /v1/trips", "t-back", back)
    send("desk-1", "POST", "/v1/trips", 201, "POST /v1/trips", "t-cancel", other)
    send("desk-1", "POST", "/v1/plan", 201, "POST /v1/plan", None, {"time_limit_s": 1})
    send("desk-1", "GET", "/v1/plan", 200, "GET /v1/plan")
    send("desk-1", "GET", "/v1/trips/t-out", 200, "GET /v1/trips/{trip_id}", "t-out")
    send("van-1-driver", "GET", "/v1/vehicles/van-1", 200, "GET /v1/vehicles/{vehicle_id}", "van-1")
    manifest = "GET /v1/vehicles/{vehicle_id}/manifest"
    send("van-1-driver", "GET", "/v1/vehicles/van-1/manifest", 200, manifest, "van-1")
    moved = "POST /v1/vehicles/{vehicle_id}/position"
    send("van-1-driver", "POST", "/v1/vehicles/van-1/position", 200, moved, "van-1", position)
    events = "POST /v1/trips/{trip_id}/events"
    send("van-1-driver", "POST", "/v1/trips/t-out/events", 201, events, "t-out", event)
    dropped = {**event, "kind": "dropped_off", "at": "2026-03-02T09:21:00-05:00"}
    send("van-1-driver", "POST", "/v1/trips/t-out/events", 201, events, "t-out", dropped)
    call = {"ready_at": "2026-03-02T11:20:00-05:00", "time_limit_s": 1}
    called = "POST /v1/trips/{trip_id}/will-call"
    send("desk-1", "POST", "/v1/trips/t-back/will-call", 200, called, "t-back", call)
    send("desk-1", "DELETE", "/v1/trips/t-cancel", 200, "DELETE /v1/trips/{trip_id}", "t-cancel")
    # failures and refusals
    off_map = trip("t-off", rider_id=RIDER, pickup={**OFF_MAP, "name": HOME["name"]})
    send("desk-1", "POST", "/v1/trips", 422, "POST /v1/trips", None, off_map)
    send("desk-1", "GET", "/v1/trips/nope", 404, "GET /v1/trips/{trip_id}", "nope")
    send(None, "POST", "/v1/trips", 401, "POST /v1/trips", None, outbound)
    send("analyst-1", "GET", "/v1/trips/t-out", 403, "GET /v1/trips/{trip_id}", "t-out")
    send("analyst-1", "GET", f"/v1/audit?since={SINCE}", 403, "GET /v1/audit")
    send("van-1-driver", "GET", "/v1/vehicles/van-2", 403, "GET /v1/vehicles/{vehicle_id}", "van-2")
    explode = "POST /v1/trips/{trip_id}/explode"
    failed = send("ops-admin", "POST", "/v1/trips/t-out/explode", 500, explode, "t-out")
    assert failed.headers["x-request-id"] in errors_of(failed)[0]["reason"]
    # not audited: no patient data stored, or the hot path
    eta = {"items": [{"origin": DEPOT, "destination": DEPOT, "departure": "2026-03-02T08:00Z"}]}
    send("analyst-1", "POST", "/v1/eta", 200, None, body=eta)
    send("analyst-1", "GET", "/v1/model", 200, None)
    send("ops-admin", "GET", "/metrics", 200, None)
    send(None, "GET", "/health", 200, None)
    return day


def _as_row(row: dict[str, Any]) -> Row:
    return (row["principal"], row["role"], row["action"], row["object_id"], row["outcome"])


@BACKENDS
def test_each_write_and_patient_data_read_is_audited_once(
    day_client: TestClient, store_url: str
) -> None:
    """Every write and read of patient data leaves one row naming who, what, which object
    and the status, refusals (401 anonymous, 403 with the principal), failures and 500s
    included; stateless answers and operations leave none."""
    day = _day(day_client)
    audit = day.send("ops-admin", "GET", f"/v1/audit?since={SINCE}&limit=1000", 200, None)
    rows = audit.json()["rows"]
    assert [_as_row(r) for r in rows] == day.expected
    assert [r["request_id"] for r in rows] == day.request_ids
    assert len(set(day.request_ids)) == len(day.request_ids)
    # the read of the audit log is audited too, once answered
    [last] = query(
        store_url, "SELECT principal, action, outcome FROM audit_log ORDER BY id DESC LIMIT 1"
    )
    assert last == ("ops-admin", "GET /v1/audit", 200)


@BACKENDS
def test_no_patient_data_in_logs_or_audit_rows(
    day_client: TestClient, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A day of requests logged at DEBUG (every logger the app reaches: dispatch, FastAPI,
    the test client's HTTP log) and its SQL statements logged (``sqlalchemy.engine`` at
    INFO, as ``echo=True``) leaves no place name, no rider's coordinates and no rider id in
    any record or traceback, nor in the audit log."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    _day(day_client)
    assert caplog.records, "nothing was logged: the capture is broken"
    assert any("failed" in r.getMessage() and r.exc_info for r in caplog.records)
    for record in caplog.records:
        text = " ".join([record.getMessage(), repr(record.args), caplog.handler.format(record)])
        leaked = [needle for needle in NEEDLES if needle in text]
        assert not leaked, f"{record.name} logged {leaked}: {text[:300]}"
    rows = query(store_url, "SELECT * FROM audit_log")
    assert rows
    assert not [needle for needle in NEEDLES if needle in repr(rows)]


@BACKENDS
def test_audit_log_pages_by_time_and_is_printed_by_the_cli(
    client: TestClient, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``GET /v1/audit`` and ``dispatch audit`` give the rows from a time on, oldest first,
    at most ``limit``; every response, unrouted ones too, has its own request id."""
    ids = [client.get(f"/v1/trips/{name}").headers["x-request-id"] for name in "abc"]
    ids += [client.get(url).headers["x-request-id"] for url in ("/health", "/nope")]
    assert len(set(ids)) == len(ids)
    first = client.get("/v1/audit", params={"since": SINCE, "limit": 2})
    assert [r["object_id"] for r in first.json()["rows"]] == ["a", "b"]
    later = client.get("/v1/audit", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json() == {"rows": []}
    naive = client.get("/v1/audit", params={"since": "2026-03-02T00:00:00"})
    assert naive.status_code == 422
    assert errors_of(naive)[0]["field"] == "query.since"

    assert main(["audit", "--since", "2000-01-01", "--store", store_url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == "time principal role action object outcome request".split()
    for line, name, rid in zip(table[2:5], "abc", ids[:3], strict=True):
        # time, principal, role, then the action "GET /v1/trips/{trip_id}" and the rest
        assert line.split()[2:] == ["admin", "GET", "/v1/trips/{trip_id}", name, "404", rid]
    as_json = ["audit", "--since", "2000-01-01", "--limit", "1", "--json"]
    assert main([*as_json, "--store", store_url]) == 0
    [line] = capsys.readouterr().out.splitlines()
    row = json.loads(line)
    assert row["action"] == "GET /v1/trips/{trip_id}"
    expected = {"object_id": "a", "outcome": 404, "request_id": ids[0], "role": "admin"}
    assert {k: row[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--since", "2026-03-02", "--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_audit_command_errors_are_one_line(
    store_url: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Bad flags exit with code 2 and one line naming the problem."""
    assert main(["audit", "--store", store_url, *args]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert len(error.strip().splitlines()) == 1


@BACKENDS
@pytest.mark.parametrize(
    "change", ["UPDATE audit_log SET principal = 'someone else'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_changes_to_the_audit_log(
    client: TestClient, store_url: str, change: str
) -> None:
    """Rows of the audit log cannot be changed or removed over a plain connection either."""
    assert client.get("/v1/trips/t-1").status_code == 404
    before = query(store_url, "SELECT principal, action FROM audit_log")
    assert before
    engine = sa.create_engine(store_url, poolclass=sa.NullPool)
    try:
        with pytest.raises(sa.exc.DatabaseError, match="audit_log is append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text(change))
    finally:
        engine.dispose()
    assert query(store_url, "SELECT principal, action FROM audit_log") == before


def test_a_failed_audit_write_is_logged_and_the_answer_stands(
    client: TestClient, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Without its audit table the store cannot audit: the request still succeeds, and the
    failure is logged under its request id."""
    engine = sa.create_engine(store_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit_log"))
    engine.dispose()
    with caplog.at_level(logging.ERROR, logger="dispatch.api.audit"):
        response = client.put("/v1/vehicles/van-1", json=vehicle())
    assert response.status_code == 201
    rid = response.headers["x-request-id"]
    message = f"request {rid}: PUT /v1/vehicles/{{vehicle_id}} was not audited"
    assert any(r.getMessage() == message and r.exc_info for r in caplog.records)
