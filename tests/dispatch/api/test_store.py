"""The store on a real SQLite file and a real PostgreSQL server: migrations, commits,
idempotency and registration races, and one-line errors for bad URLs and lost servers."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dispatch.api import Store, migrations
from dispatch.api.schemas import VehicleIn
from dispatch.api.store import metadata, now_utc
from dispatch.domain import TripRequest
from dispatch.exceptions import DuplicateTripError, IdempotencyMismatchError, StoreError
from tests.stores import BACKENDS, PostgresServer, query

from .helpers import trip, vehicle

PRE_ALEMBIC_STORE = Path(__file__).with_name("store_v1.sql")


def _request(trip_id: str = "t1") -> TripRequest:
    return TripRequest.model_validate(trip(trip_id))


def _migrated(url: str) -> Store:
    store = Store(url)
    store.upgrade()
    return store


def _pre_alembic_file(path: Path, version: int = 1) -> str:
    """A SQLite store as the code before Alembic wrote it, at ``version``; its URL."""
    with sqlite3.connect(path) as conn:
        conn.executescript(PRE_ALEMBIC_STORE.read_text())
        conn.execute("UPDATE schema_version SET version = ?", (version,))
    return f"sqlite:///{path}"


def test_sqlite_store_is_wal_and_upgraded_on_open(tmp_path: Path) -> None:
    """Opening a new SQLite file puts it in WAL mode at the latest revision."""
    path = tmp_path / "store.sqlite"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrations.head(),)
        ]


def test_a_store_written_before_alembic_is_migrated_with_its_data(tmp_path: Path) -> None:
    """A file of schema_version 1 is stamped and upgraded on open; its rows are all there."""
    url = _pre_alembic_file(tmp_path / "old.sqlite")
    store = Store.open(url)
    row = store.trip("t1")
    assert row is not None and row.request == _request("t1") and row.status == "picked_up"
    assert [e.kind for e in store.events_of("t1")] == ["picked_up"]
    replay = store.replay("k1", "sha")
    assert replay is not None and replay.response == '{"answer": 1}'
    latest = store.latest_plan()
    assert latest is not None and (latest.id, latest.plan) == (7, {"routes": []})
    assert store.save_plan({"routes": [1]}, "test", now=now_utc()) == 8
    store.close()
    assert query(url, "SELECT version_num FROM alembic_version") == [(migrations.head(),)]
    tables = query(url, "SELECT name FROM sqlite_master WHERE name = 'schema_version'")
    assert tables == []


def test_another_pre_alembic_version_is_refused(tmp_path: Path) -> None:
    """A file of a pre-Alembic version other than 1 is not touched."""
    url = _pre_alembic_file(tmp_path / "old.sqlite", version=99)
    with pytest.raises(StoreError, match=r"pre-Alembic schema version \[99\]"):
        Store.open(url)
    assert query(url, "SELECT version FROM schema_version") == [(99,)]


@BACKENDS
def test_migrations_build_the_tables_the_store_uses(store_url: str) -> None:
    """The latest revision creates exactly the tables, columns and indexes of the code."""
    store = _migrated(store_url)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    store.close()


@BACKENDS
def test_an_unknown_revision_is_refused(store_url: str) -> None:
    """A store upgraded by a newer version of dispatch is refused, naming its revision."""
    store = _migrated(store_url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.close()
    with pytest.raises(StoreError, match="revision '9999' is unknown"):
        Store.open(store_url)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_postgresql_store_is_upgraded_by_the_operator(store_url: str) -> None:
    """The service refuses an empty PostgreSQL database, naming the command; once upgraded it
    opens, and a second upgrade has nothing to do."""
    with pytest.raises(StoreError, match="run `dispatch db upgrade --store postgresql"):
        Store.open(store_url)
    store = Store(store_url)
    assert store.upgrade() == (None, migrations.head())
    assert store.upgrade() == (migrations.head(), migrations.head())
    store.close()
    Store.open(store_url).close()


@BACKENDS
def test_concurrent_upgrades_queue(store_url: str) -> None:
    """Two processes' upgrades of one new store at once: one migrates, the other finds it done."""
    stores = [Store(store_url), Store(store_url)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        changes = sorted(pool.map(Store.upgrade, stores), key=lambda change: change[0] or "")
    assert changes == [(None, migrations.head()), (migrations.head(), migrations.head())]
    for store in stores:
        store.close()


@BACKENDS
def test_a_booking_is_committed_when_book_returns(store_url: str) -> None:
    """Another connection sees the booking as soon as ``book`` returns (it committed)."""
    store = _migrated(store_url)
    store.book(_request(), key="k", body_sha256="h", response="{}", now=now_utc())
    assert query(store_url, "SELECT id, status FROM trips") == [("t1", "booked")]
    store.close()


@BACKENDS
def test_concurrent_retries_book_once(store_url: str) -> None:
    """Many threads booking with one key get one trip and identical answers."""
    store = _migrated(store_url)

    def book(_: int) -> str:
        booking = store.book(_request(), key="k", body_sha256="h", response="{1}", now=now_utc())
        return booking.response

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(book, range(32)))
    assert set(answers) == {"{1}"}
    assert [r.request.id for r in store.trips_with_status(("booked",))] == ["t1"]
    with pytest.raises(IdempotencyMismatchError):
        store.book(_request("t2"), key="k", body_sha256="other", response="{}", now=now_utc())
    with pytest.raises(DuplicateTripError):
        store.book(_request(), key=None, body_sha256="h", response="{}", now=now_utc())
    store.close()


@BACKENDS
def test_concurrent_registrations_of_a_vehicle_insert_once(store_url: str) -> None:
    """Threads registering one new vehicle: exactly one is told it is new, none fails."""
    store = _migrated(store_url)
    van = VehicleIn.model_validate(vehicle("van-1")).to_domain()
    with ThreadPoolExecutor(max_workers=8) as pool:
        new = list(pool.map(lambda _: store.put_vehicle(van, now=now_utc()), range(16)))
    assert new.count(True) == 1
    assert store.all_vehicles() == [van]
    store.close()


@BACKENDS
def test_inserts_report_their_row_ids(store_url: str) -> None:
    """Plans and predictions get increasing ids, and the latest plan is the last stored."""
    store = _migrated(store_url)
    first = store.save_plan({"n": 1}, "a", now=now_utc())
    second = store.save_plan({"n": 2}, "b", now=now_utc())
    latest = store.latest_plan()
    assert second > first and latest is not None and (latest.id, latest.plan) == (second, {"n": 2})
    store.book(_request(), key=None, body_sha256="h", response="{}", now=now_utc())
    predicted = store.add_prediction(
        "t1",
        model_version=None,
        departure=now_utc(),
        p50_s=60.0,
        p90_s=90.0,
        free_flow_s=50.0,
        features={"hour": 9.0},
        now=now_utc(),
    )
    row = store.latest_prediction("t1")
    assert row is not None and row.id == predicted and row.features == {"hour": 9.0}
    store.close()


def test_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    """A database that cannot be opened is a StoreError naming the URL."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="store"):
        Store.open(f"sqlite:///{blocker / 'store.sqlite'}")


def test_unreachable_server_is_a_one_line_store_error(tmp_path: Path) -> None:
    """No server behind the URL: one line naming the URL (password hidden) and the reason."""
    url = f"postgresql+psycopg://dispatch:secret@/dispatch?host={tmp_path}"
    with pytest.raises(StoreError) as raised:
        Store.open(url)
    message = str(raised.value)
    assert message.startswith("cannot use the store postgresql+psycopg://dispatch:***@/dispatch")
    assert "secret" not in message and "\n" not in message
    assert "No such file or directory" in message


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_lost_database_is_a_store_error(store_url: str, postgres: PostgresServer) -> None:
    """A database gone while the service runs makes each call a StoreError (the HTTP 503)."""
    store = _migrated(store_url)
    assert store.trip("t1") is None
    postgres.drop_database(store_url)
    with pytest.raises(StoreError, match="cannot use the store"):
        store.trip("t1")
    store.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql+nosuchdriver://user@localhost/dispatch", "driver"),
        ("not a url", "cannot parse the store URL"),
        ("mysql://user@localhost/dispatch", "mysql is not supported"),
    ],
)
def test_bad_urls_are_store_errors(url: str, reason: str) -> None:
    """A missing driver, an unparseable URL or another backend: a StoreError saying so."""
    with pytest.raises(StoreError, match=reason):
        Store(url)


@BACKENDS
def test_promotions_form_a_stack_that_rollbacks_pop(store_url: str) -> None:
    """Each promotion records the version it replaced; the latest not rolled back is in
    service, a rollback pops it (once), and promotions over another base are apart."""
    store = _migrated(store_url)
    start = now_utc()
    for k, (version, previous) in enumerate((("b", "a"), ("c", "b"))):
        at = start + timedelta(seconds=k)
        store.add_model(
            version,
            f"/m/{version}",
            base_version="a",
            previous_version=previous,
            decision={},
            now=at,
        )
    store.add_model(
        "x", "/m/x", base_version="other", previous_version="other", decision={}, now=start
    )
    stack = store.promotions("a")
    assert [(p.version, p.path, p.previous_version) for p in stack] == [
        ("c", "/m/c", "b"),
        ("b", "/m/b", "a"),
    ]
    assert store.promoted_model("a") == "/m/c"
    assert store.roll_back_model("c", now=now_utc())
    assert not store.roll_back_model("c", now=now_utc())  # once
    assert store.promoted_model("a") == "/m/b"
    assert store.roll_back_model("b", now=now_utc())
    assert store.promoted_model("a") is None
    assert store.promotions("a") == []
    assert store.promoted_model("other") == "/m/x"
    store.close()
