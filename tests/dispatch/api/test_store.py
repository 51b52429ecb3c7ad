"""The store on a real SQLite file: WAL mode, schema version, commits, idempotency races."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dispatch.api.store import (
    SCHEMA_VERSION,
    Store,
    now_utc,
)
from dispatch.domain import TripRequest
from dispatch.exceptions import DuplicateTripError, IdempotencyMismatchError, StoreError

from .helpers import trip


def _request(trip_id: str = "t1") -> TripRequest:
    return TripRequest.model_validate(trip(trip_id))


def test_sqlite_store_is_wal_and_versioned(tmp_path: Path) -> None:
    """A new SQLite store runs in WAL mode and records its schema version."""
    path = tmp_path / "store.sqlite"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    """A store written by another schema version is not opened."""
    path = tmp_path / "store.sqlite"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="schema version"):
        Store(f"sqlite:///{path}")


def test_a_booking_is_on_disk_when_book_returns(tmp_path: Path) -> None:
    """Another connection sees the booking as soon as ``book`` returns (it committed)."""
    path = tmp_path / "store.sqlite"
    store = Store(f"sqlite:///{path}")
    store.book(_request(), key="k", body_sha256="h", response="{}", now=now_utc())
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, status FROM trips").fetchall() == [("t1", "booked")]
    store.close()


def test_concurrent_retries_book_once(tmp_path: Path) -> None:
    """Many threads booking with one key get one trip and identical answers."""
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")

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


def test_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    """A database that cannot be opened is a StoreError naming the URL."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="store"):
        Store(f"sqlite:///{blocker / 'store.sqlite'}")


def test_missing_database_driver_is_a_store_error() -> None:
    """A URL whose driver is not installed is a StoreError saying so, not an ImportError."""
    with pytest.raises(StoreError, match="driver"):
        Store("postgresql+nosuchdriver://user@localhost/dispatch")
