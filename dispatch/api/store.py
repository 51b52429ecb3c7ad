"""The operational store: trips, events, vehicles, plans, predictions, outcomes, models, API
keys and the audit log.

SQLAlchemy Core over SQLite (the default, one file) or PostgreSQL. SQLite runs in WAL mode
with ``synchronous=FULL`` so that a committed booking survives a crash or a power cut.
The schema is the head of the Alembic revisions in :mod:`.migrations`: :meth:`Store.open`
upgrades a SQLite file to it at start-up, and requires a PostgreSQL database to be there
already (``dispatch db upgrade``: on a shared server migrating is the operator's step).
Every method is one transaction: when it returns, the change is committed. Writers queue
where they could race: on SQLite, write transactions start with ``BEGIN IMMEDIATE``; on
PostgreSQL, rows are locked or upserted (the inserts themselves are guarded by the keys).

Times are stored as ISO 8601 text in UTC (portable and ordered on every backend). The
audit log is append-only: the store has no method that changes or removes its rows. SQL
parameters (which hold patient data) are kept out of logs and error messages. Idempotency
records expire: a reader passes the oldest creation time that still counts.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..domain import TripRequest, Vehicle
from ..exceptions import (
    DuplicateKeyError,
    DuplicateTripError,
    IdempotencyMismatchError,
    StoreError,
)
from . import migrations, retention
from .trip_states import FINISHED, BookingStatus, EventKind

LOG = logging.getLogger(__name__)

_BACKENDS = ("sqlite", "postgresql")
_CONNECT_TIMEOUT_S = 10  # PostgreSQL: an unreachable server fails start-up in seconds
_SQLITE_LOCK_TIMEOUT_S = 30  # SQLite: how long a writer waits for another's lock
_PURGE_BATCH = 500  # trip ids per statement of a purge (SQLite binds at most 32766 values)

# the tables as the head revision of .migrations leaves them (a test compares the two)
metadata = sa.MetaData()

trips = sa.Table(
    "trips",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("request", sa.Text, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("called_at", sa.String),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("updated_at", sa.String, nullable=False),
    sa.Column("purged_at", sa.String),
)
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False),
    sa.Column("body_sha256", sa.String, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False, index=True),
)
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("at", sa.String, nullable=False),
    sa.Column("vehicle_id", sa.String),
    sa.Column("recorded_at", sa.String, nullable=False),
)
vehicles = sa.Table(
    "vehicles",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("vehicle", sa.Text, nullable=False),
    sa.Column("position_at", sa.String),
    sa.Column("updated_at", sa.String, nullable=False),
)
plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
)
predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False, index=True),
    sa.Column("model_version", sa.String),
    sa.Column("departure", sa.String, nullable=False),
    sa.Column("p50_s", sa.Float, nullable=False),
    sa.Column("p90_s", sa.Float, nullable=False),
    sa.Column("free_flow_s", sa.Float, nullable=False),
    sa.Column("features", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
)
outcomes = sa.Table(
    "outcomes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False, unique=True),
    sa.Column("prediction_id", sa.Integer, sa.ForeignKey("predictions.id")),
    sa.Column("pickup_time", sa.String, nullable=False),
    sa.Column("origin_lat", sa.Float, nullable=False),
    sa.Column("origin_lon", sa.Float, nullable=False),
    sa.Column("dest_lat", sa.Float, nullable=False),
    sa.Column("dest_lon", sa.Float, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("observations", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.String, nullable=False),
)
model_versions = sa.Table(
    "models",
    metadata,
    sa.Column("version", sa.String, primary_key=True),
    sa.Column("path", sa.String, nullable=False),
    sa.Column("base_version", sa.String),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("promoted_at", sa.String, nullable=False),
    sa.Column("previous_version", sa.String),
    sa.Column("rolled_back_at", sa.String),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("vehicle_id", sa.String),
    sa.Column("salt", sa.String, nullable=False),
    sa.Column("hash", sa.String, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("revoked_at", sa.String),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String, nullable=False, index=True),
    sa.Column("principal", sa.String, nullable=False),
    sa.Column("role", sa.String),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("object_id", sa.String),
    sa.Column("outcome", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String, nullable=False),
)


def utc_text(moment: datetime) -> str:
    """An aware datetime as ISO 8601 text in UTC."""
    return moment.astimezone(UTC).isoformat()


def from_text(text: str) -> datetime:
    """The aware datetime of :func:`utc_text`."""
    return datetime.fromisoformat(text)


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class TripRow:
    """A stored trip: the booked request, its status and when it changed."""

    request: TripRequest
    status: BookingStatus
    called_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EventRow:
    """An outcome event of a trip (picked up, dropped off, no-show) at a real time."""

    kind: EventKind
    at: datetime
    vehicle_id: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Booking:
    """The answer to a booking: the response body, and whether it is a replay of a retry."""

    response: str
    replayed: bool


@dataclass(frozen=True)
class StoredPlan:
    """A stored plan: its id, why it was made, when, and its body."""

    id: int
    reason: str
    created_at: datetime
    plan: dict[str, Any]


@dataclass(frozen=True)
class PurgeReport:
    """What a purge changed, by table: trips whose request was removed, idempotency records
    deleted, predictions and outcomes moved to coarse cells, plans deleted and plans whose
    stops of purged trips were moved to coarse cells."""

    trips: int = 0
    idempotency_keys: int = 0
    predictions: int = 0
    outcomes: int = 0
    plans_deleted: int = 0
    plans_coarsened: int = 0


@dataclass(frozen=True)
class KeyRow:
    """A stored API key: its id (the public prefix of the key), name, role, vehicle (drivers),
    the salt and hash of the secret, and when it was created and revoked."""

    id: str
    name: str
    role: str
    vehicle_id: str | None
    salt: str
    hash: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditRow:
    """One audited request: when, who (``principal``, ``role``; ``anonymous`` and None
    without a valid credential), the ``action`` (method and path template), the trip,
    vehicle or key it named, the HTTP status it got and its request id. Ids only: never
    a name, a place or a secret."""

    at: datetime
    principal: str
    role: str | None
    action: str
    object_id: str | None
    outcome: int
    request_id: str


@dataclass(frozen=True)
class PromotedModel:
    """A promoted model still in the history (not rolled back): its version and folder, and
    the version that was in service before it."""

    version: str
    path: str
    previous_version: str | None
    promoted_at: datetime


@dataclass(frozen=True)
class PredictionRow:
    """A stored prediction and the features it was made from."""

    id: int
    model_version: str | None
    departure: datetime
    p50_s: float
    p90_s: float
    free_flow_s: float
    features: dict[str, float | None]


class Store:
    """Transactions over the service's tables (see the module docstring).

    The constructor only connects (lazily); :meth:`open` also readies the schema.
    """

    def __init__(self, url: str) -> None:
        try:
            self.url = sa.make_url(url)
        except sa.exc.ArgumentError:
            msg = (
                "cannot parse the store URL: expected dialect+driver://user:password@host/"
                "database, such as sqlite:///path/to/dispatch.sqlite or "
                "postgresql+psycopg://dispatch@localhost/dispatch"
            )
            raise StoreError(msg) from None
        self.shown = self.url.render_as_string(hide_password=True)
        backend = self.url.get_backend_name()
        if backend not in _BACKENDS:
            supported = ", ".join(_BACKENDS)
            msg = f"cannot use the store {self.shown}: {backend} is not supported ({supported})"
            raise StoreError(msg)
        self.is_sqlite = backend == "sqlite"
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            try:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                msg = f"cannot create the folder of the store {self.url.database}: {exc}"
                raise StoreError(msg) from exc
        try:
            self.engine: Engine = sa.create_engine(self.url, **_engine_options(self.url))
        except (ImportError, sa.exc.ArgumentError) as exc:
            msg = f"cannot use the store {self.shown}: {exc} (is its database driver installed?)"
            raise StoreError(msg) from exc
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @classmethod
    def open(cls, url: str) -> Store:
        """The store at ``url`` ready for the service.

        A SQLite file is upgraded to the latest schema; a PostgreSQL database must be there
        already, else :class:`StoreError` names the command that upgrades it.
        """
        store = cls(url)
        try:
            if store.is_sqlite:
                store.upgrade()
            else:
                store.check()
        except StoreError:
            store.close()
            raise
        return store

    def upgrade(self) -> tuple[str | None, str]:
        """Apply the pending migrations in one transaction; the revisions before and after."""
        with self._write() as conn, self._schema_errors():
            return migrations.upgrade(conn)

    def check(self) -> None:
        """Raise :class:`StoreError` unless the schema is at the latest revision."""
        with self._read() as conn, self._schema_errors():
            found = migrations.current(conn)
        if found != migrations.head():
            msg = (
                f"cannot use the store {self.shown}: its schema is at revision {found or 'none'}"
                f", this service needs {migrations.head()} (run `dispatch db upgrade --store "
                f"{self.shown}` first)"
            )
            raise StoreError(msg)

    @contextmanager
    def _schema_errors(self) -> Iterator[None]:
        """Errors of reading or migrating the schema as :class:`StoreError` naming the URL."""
        try:
            yield
        except sa.exc.DBAPIError as exc:  # e.g. no right to create tables
            msg = f"cannot use the store {self.shown}: {_reason(exc)}"
            raise StoreError(msg) from exc
        except StoreError as exc:
            msg = f"cannot use the store {self.shown}: {exc}"
            raise StoreError(msg) from exc

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._unavailable(), self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._unavailable(), self.engine.connect() as conn, conn.begin():
            yield conn

    def _insert_if_new(self, conn: Connection, table: sa.Table, **values: Any) -> bool:
        """Insert a row unless its key exists (a concurrent insert waits); whether it did."""
        dialect = sqlite if self.is_sqlite else postgresql
        insert = dialect.insert(table).values(**values).on_conflict_do_nothing()
        # RETURNING: an INSERT's row count is -1 (unknown) through psycopg
        return conn.execute(insert.returning(*table.primary_key)).first() is not None

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        """A lost server, a locked or broken file: :class:`StoreError` (the service's 503)."""
        try:
            yield
        except sa.exc.OperationalError as exc:
            msg = f"cannot use the store {self.shown}: {_reason(exc)}"
            raise StoreError(msg) from exc

    # --- trips ----------------------------------------------------------------------------

    def book(
        self,
        request: TripRequest,
        *,
        key: str | None,
        body_sha256: str,
        response: str,
        now: datetime,
        keys_since: datetime | None = None,
    ) -> Booking:
        """Insert a trip (and its idempotency key) and commit, or replay the key's answer.

        Idempotency records created before ``keys_since`` have expired: writing a key
        deletes them (an indexed range, cheap). Raises :class:`IdempotencyMismatchError`
        when ``key`` was used for another body, and :class:`DuplicateTripError` when the
        trip id exists under no matching key.
        """
        try:
            with self._write() as conn:
                if key is not None:
                    if keys_since is not None:
                        self._expire_keys(conn, keys_since)
                    replay = self._replay(conn, key, body_sha256, keys_since)
                    if replay is not None:
                        return replay
                exists = conn.execute(sa.select(trips.c.id).where(trips.c.id == request.id))
                if exists.first() is not None:
                    raise DuplicateTripError(request.id)
                stamp = utc_text(now)
                conn.execute(
                    trips.insert().values(
                        id=request.id,
                        request=request.model_dump_json(),
                        status=BookingStatus.BOOKED,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
                if key is not None:
                    conn.execute(
                        idempotency_keys.insert().values(
                            key=key,
                            trip_id=request.id,
                            body_sha256=body_sha256,
                            response=response,
                            created_at=stamp,
                        )
                    )
        except (sa.exc.IntegrityError, DuplicateTripError):
            # A concurrent request with the same key or id committed first: on PostgreSQL
            # maybe after this transaction's replay check (each statement sees the latest
            # commits), so the key is looked up again.
            if key is not None:
                with self._read() as conn:
                    replay = self._replay(conn, key, body_sha256, keys_since)
                if replay is not None:
                    return replay
            msg = f"a trip with id {request.id!r} exists already"
            raise DuplicateTripError(msg) from None
        return Booking(response, replayed=False)

    def replay(
        self, key: str, body_sha256: str, *, since: datetime | None = None
    ) -> Booking | None:
        """The stored answer to an earlier booking with this key and body, if any; a record
        created before ``since`` has expired and is ignored.

        Raises :class:`IdempotencyMismatchError` when the key was used for another body.
        """
        with self._read() as conn:
            return self._replay(conn, key, body_sha256, since)

    @staticmethod
    def _replay(
        conn: Connection, key: str, body_sha256: str, since: datetime | None
    ) -> Booking | None:
        query = sa.select(idempotency_keys).where(idempotency_keys.c.key == key)
        if since is not None:
            query = query.where(idempotency_keys.c.created_at >= utc_text(since))
        row = conn.execute(query).first()
        if row is None:
            return None
        if row.body_sha256 != body_sha256:
            # the other booking's data stays unnamed: the key may be another client's
            msg = "this Idempotency-Key was used for another request body; use a new key"
            raise IdempotencyMismatchError(msg)
        return Booking(row.response, replayed=True)

    def expire_keys(self, before: datetime) -> int:
        """Delete the idempotency records created before ``before``; how many."""
        with self._write() as conn:
            return self._expire_keys(conn, before)

    @staticmethod
    def _expire_keys(conn: Connection, before: datetime) -> int:
        expired = idempotency_keys.delete().where(idempotency_keys.c.created_at < utc_text(before))
        return int(conn.execute(expired).rowcount)

    def trip(self, trip_id: str) -> TripRow | None:
        """The stored trip, or None (also once it is purged)."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(trips).where(trips.c.id == trip_id, trips.c.purged_at.is_(None))
            ).first()
        return None if row is None else _trip_row(row)

    def purged_at(self, trip_id: str) -> datetime | None:
        """When the trip's patient data was purged; None if it was not (or is unknown)."""
        with self._read() as conn:
            stamp = conn.execute(
                sa.select(trips.c.purged_at).where(trips.c.id == trip_id)
            ).scalar_one_or_none()
        return None if stamp is None else from_text(stamp)

    def trips_with_status(self, statuses: tuple[BookingStatus, ...]) -> list[TripRow]:
        """Trips whose status is one of ``statuses``, in booking order."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(trips)
                .where(trips.c.status.in_(statuses), trips.c.purged_at.is_(None))
                .order_by(trips.c.created_at, trips.c.id)
            ).all()
        return [_trip_row(r) for r in rows]

    def set_status(
        self,
        trip_id: str,
        status: BookingStatus,
        *,
        expected: tuple[BookingStatus, ...],
        now: datetime,
    ) -> bool:
        """Change a trip's status if it is one of ``expected``; whether it changed."""
        with self._write() as conn:
            result = conn.execute(
                trips.update()
                .where(trips.c.id == trip_id, trips.c.status.in_(expected))
                .values(status=status, updated_at=utc_text(now))
            )
        return bool(result.rowcount)

    def call(self, request: TripRequest, *, now: datetime) -> None:
        """Record a will-call: the trip's request now has its real ready time."""
        with self._write() as conn:
            conn.execute(
                trips.update()
                .where(trips.c.id == request.id)
                .values(
                    request=request.model_dump_json(),
                    called_at=utc_text(now),
                    updated_at=utc_text(now),
                )
            )

    def add_event(
        self,
        trip_id: str,
        kind: EventKind,
        at: datetime,
        *,
        vehicle_id: str | None,
        status: BookingStatus,
        expected: tuple[BookingStatus, ...],
        now: datetime,
    ) -> bool:
        """Record an event and move the trip to ``status`` if it is in ``expected``, atomically."""
        with self._write() as conn:
            moved = conn.execute(
                trips.update()
                .where(trips.c.id == trip_id, trips.c.status.in_(expected))
                .values(status=status, updated_at=utc_text(now))
            )
            if not moved.rowcount:
                return False
            conn.execute(
                events.insert().values(
                    trip_id=trip_id,
                    kind=kind,
                    at=utc_text(at),
                    vehicle_id=vehicle_id,
                    recorded_at=utc_text(now),
                )
            )
        return True

    def events_of(self, trip_id: str) -> list[EventRow]:
        """A trip's events in the order they were recorded."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(events).where(events.c.trip_id == trip_id).order_by(events.c.id)
            ).all()
        return [
            EventRow(EventKind(r.kind), from_text(r.at), r.vehicle_id, from_text(r.recorded_at))
            for r in rows
        ]

    # --- vehicles -------------------------------------------------------------------------

    def put_vehicle(self, vehicle: Vehicle, *, now: datetime) -> bool:
        """Register or replace a vehicle; whether it is new."""
        values = {"vehicle": vehicle.model_dump_json(), "updated_at": utc_text(now)}
        with self._write() as conn:
            new = self._insert_if_new(conn, vehicles, id=vehicle.id, **values)
            if not new:
                conn.execute(vehicles.update().where(vehicles.c.id == vehicle.id).values(**values))
        return new

    def vehicle(self, vehicle_id: str) -> Vehicle | None:
        """A registered vehicle, or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(vehicles).where(vehicles.c.id == vehicle_id)).first()
        return None if row is None else Vehicle.model_validate_json(row.vehicle)

    def all_vehicles(self) -> list[Vehicle]:
        """Every registered vehicle, by id; one stored before today's input rules and
        breaking them is left out (logged) until it is replaced or deleted."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(vehicles.c.id, vehicles.c.vehicle).order_by(vehicles.c.id)
            )
        found = []
        for row in rows:
            try:
                found.append(Vehicle.model_validate_json(row.vehicle))
            except ValidationError as exc:
                LOG.warning("vehicle %r is left out: %s", row.id, exc)
        return found

    def delete_vehicle(self, vehicle_id: str) -> bool:
        """Remove a registered vehicle; whether there was one."""
        with self._write() as conn:
            deleted = conn.execute(vehicles.delete().where(vehicles.c.id == vehicle_id))
        return deleted.rowcount > 0

    def move_vehicle(self, vehicle: Vehicle, at: datetime, *, now: datetime) -> bool:
        """Store a new position unless a later one is known; whether it was stored."""
        with self._write() as conn:
            row = conn.execute(
                sa.select(vehicles.c.position_at)
                .where(vehicles.c.id == vehicle.id)
                .with_for_update()  # PostgreSQL: a concurrent move waits for this one
            ).first()
            if row is not None and row.position_at is not None and from_text(row.position_at) > at:
                return False
            conn.execute(
                vehicles.update()
                .where(vehicles.c.id == vehicle.id)
                .values(
                    vehicle=vehicle.model_dump_json(),
                    position_at=utc_text(at),
                    updated_at=utc_text(now),
                )
            )
        return True

    # --- plans ----------------------------------------------------------------------------

    def save_plan(self, plan: dict[str, Any], reason: str, *, now: datetime) -> int:
        """Store a plan as the current one; its id."""
        with self._write() as conn:
            result = conn.execute(
                plans.insert().values(
                    reason=reason, plan=json.dumps(plan), created_at=utc_text(now)
                )
            )
        return _new_row_id(result)

    def latest_plan(self) -> StoredPlan | None:
        """The current plan (the latest stored), or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(plans).order_by(plans.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        return StoredPlan(int(row.id), row.reason, from_text(row.created_at), json.loads(row.plan))

    # --- predictions and outcomes ---------------------------------------------------------

    def add_prediction(
        self,
        trip_id: str,
        *,
        model_version: str | None,
        departure: datetime,
        p50_s: float,
        p90_s: float,
        free_flow_s: float,
        features: dict[str, float | None],
        now: datetime,
    ) -> int:
        """Store a prediction made for a trip's ride; its id."""
        with self._write() as conn:
            result = conn.execute(
                predictions.insert().values(
                    trip_id=trip_id,
                    model_version=model_version,
                    departure=utc_text(departure),
                    p50_s=p50_s,
                    p90_s=p90_s,
                    free_flow_s=free_flow_s,
                    features=json.dumps(features),
                    created_at=utc_text(now),
                )
            )
        return _new_row_id(result)

    def latest_prediction(self, trip_id: str) -> PredictionRow | None:
        """The last prediction stored for a trip, or None."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(predictions)
                .where(predictions.c.trip_id == trip_id)
                .order_by(predictions.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else _prediction_row(row)

    def add_outcome(
        self,
        trip_id: str,
        *,
        prediction_id: int | None,
        pickup_time: datetime,
        origin: tuple[float, float],
        dest: tuple[float, float],
        duration_s: float,
        observations: dict[str, float],
        now: datetime,
    ) -> None:
        """Store a completed ride: what the model learns from."""
        with self._write() as conn:
            conn.execute(
                outcomes.insert().values(
                    trip_id=trip_id,
                    prediction_id=prediction_id,
                    pickup_time=utc_text(pickup_time),
                    origin_lat=origin[0],
                    origin_lon=origin[1],
                    dest_lat=dest[0],
                    dest_lon=dest[1],
                    duration_s=duration_s,
                    observations=json.dumps(observations),
                    recorded_at=utc_text(now),
                )
            )

    def outcome_records(self) -> list[dict[str, Any]]:
        """Every stored outcome as a trip record (``models.TripRecord`` columns), with when
        it was recorded (``recorded_at``)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(outcomes).order_by(outcomes.c.pickup_time)).all()
        return [
            {
                "pickup_time": from_text(r.pickup_time),
                "origin_lat": r.origin_lat,
                "origin_lon": r.origin_lon,
                "dest_lat": r.dest_lat,
                "dest_lon": r.dest_lon,
                "duration_s": r.duration_s,
                "trip_id": r.trip_id,
                "recorded_at": from_text(r.recorded_at),
                **json.loads(r.observations),
            }
            for r in rows
        ]

    def monitored(self, model_version: str | None, limit: int) -> list[tuple[PredictionRow, float]]:
        """The latest ``limit`` outcomes predicted by ``model_version``, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(predictions, outcomes.c.duration_s)
                .join(outcomes, outcomes.c.prediction_id == predictions.c.id)
                .where(
                    predictions.c.model_version.is_(None)
                    if model_version is None
                    else predictions.c.model_version == model_version
                )
                .order_by(outcomes.c.id.desc())
                .limit(limit)
            ).all()
        return [(_prediction_row(r), float(r.duration_s)) for r in reversed(rows)]

    # --- models ---------------------------------------------------------------------------

    def add_model(
        self,
        version: str,
        path: str,
        *,
        base_version: str | None,
        previous_version: str | None,
        decision: dict[str, Any],
        now: datetime,
    ) -> None:
        """Record a promoted model; ``base_version`` is the configured model it descends from,
        ``previous_version`` the one it replaced in service."""
        with self._write() as conn:
            conn.execute(
                model_versions.insert().values(
                    version=version,
                    path=path,
                    base_version=base_version,
                    previous_version=previous_version,
                    decision=json.dumps(decision),
                    promoted_at=utc_text(now),
                )
            )

    def promotions(self, base_version: str | None) -> list[PromotedModel]:
        """The models promoted over ``base_version`` and not rolled back, latest first: the
        first is in service, each replaced the next (the last replaced the configured one)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(model_versions)
                .where(
                    model_versions.c.base_version.is_(None)
                    if base_version is None
                    else model_versions.c.base_version == base_version,
                    model_versions.c.rolled_back_at.is_(None),
                )
                .order_by(model_versions.c.promoted_at.desc())
            ).all()
        return [
            PromotedModel(r.version, r.path, r.previous_version, from_text(r.promoted_at))
            for r in rows
        ]

    def promoted_model(self, base_version: str | None) -> str | None:
        """Path of the model in service over ``base_version``: the latest promoted and not
        rolled back, or None (the configured model)."""
        promoted = self.promotions(base_version)
        return promoted[0].path if promoted else None

    def roll_back_model(self, version: str, *, now: datetime) -> bool:
        """Take a promoted model out of the history (once); whether this call did."""
        with self._write() as conn:
            result = conn.execute(
                model_versions.update()
                .where(
                    model_versions.c.version == version, model_versions.c.rolled_back_at.is_(None)
                )
                .values(rolled_back_at=utc_text(now))
            )
        return bool(result.rowcount)

    # --- API keys -------------------------------------------------------------------------

    def add_key(self, key: KeyRow) -> None:
        """Store a new API key; :class:`DuplicateKeyError` if its name (or id) is taken."""
        try:
            with self._write() as conn:
                conn.execute(
                    api_keys.insert().values(
                        id=key.id,
                        name=key.name,
                        role=key.role,
                        vehicle_id=key.vehicle_id,
                        salt=key.salt,
                        hash=key.hash,
                        created_at=utc_text(key.created_at),
                    )
                )
        except sa.exc.IntegrityError:
            msg = f"an API key named {key.name!r} exists already"
            raise DuplicateKeyError(msg) from None

    def key(self, key_id: str) -> KeyRow | None:
        """The API key with this id (revoked or not), or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _key_row(row)

    def keys(self) -> list[KeyRow]:
        """Every API key, revoked ones too, in order of creation."""
        with self._read() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).all()
        return [_key_row(r) for r in rows]

    def has_active_keys(self) -> bool:
        """Whether any API key is not revoked."""
        with self._read() as conn:
            query = sa.select(api_keys.c.id).where(api_keys.c.revoked_at.is_(None)).limit(1)
            return conn.execute(query).first() is not None

    def revoke_key(self, id_or_name: str, *, now: datetime) -> KeyRow | None:
        """Revoke the key with this id or name (once: a revoked key stays as it was); None if
        there is no such key."""
        match = sa.or_(api_keys.c.id == id_or_name, api_keys.c.name == id_or_name)
        with self._write() as conn:
            conn.execute(
                api_keys.update()
                .where(match, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utc_text(now))
            )
            row = conn.execute(sa.select(api_keys).where(match)).first()
        return None if row is None else _key_row(row)

    # --- the audit log (append-only) ------------------------------------------------------

    def append_audit(self, row: AuditRow) -> None:
        """Append one row to the audit log."""
        with self._write() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=utc_text(row.at),
                    principal=row.principal,
                    role=row.role,
                    action=row.action,
                    object_id=row.object_id,
                    outcome=row.outcome,
                    request_id=row.request_id,
                )
            )

    def audit_rows(self, since: datetime, limit: int) -> list[AuditRow]:
        """The first ``limit`` rows of the audit log at or after ``since``, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(audit_log)
                .where(audit_log.c.at >= utc_text(since))
                .order_by(audit_log.c.at, audit_log.c.id)
                .limit(limit)
            ).all()
        return [
            AuditRow(
                at=from_text(r.at),
                principal=r.principal,
                role=r.role,
                action=r.action,
                object_id=r.object_id,
                outcome=int(r.outcome),
                request_id=r.request_id,
            )
            for r in rows
        ]

    # --- retention ------------------------------------------------------------------------

    def purge_before(
        self,
        cutoff: datetime,
        *,
        now: datetime,
        keys_before: datetime | None = None,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Remove the patient data of finished trips due before ``cutoff``, in one transaction.

        What is removed and what is kept is :mod:`.retention`'s; superseded plans made
        before ``cutoff`` are deleted too (the current one is kept), and so are idempotency
        records created before ``keys_before``. Open trips and trips under way are never
        touched. A dry run counts the same changes and rolls them back.
        """
        with self._unavailable(), self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin() as transaction:
                report = self._purge(conn, cutoff, now, keys_before)
                if dry_run:
                    transaction.rollback()
        return report

    def _purge(
        self, conn: Connection, cutoff: datetime, now: datetime, keys_before: datetime | None
    ) -> PurgeReport:
        finished = conn.execute(
            sa.select(trips.c.id, trips.c.request).where(
                trips.c.status.in_(FINISHED), trips.c.purged_at.is_(None)
            )
        )
        due = [(r.id, retention.trip_time(r.request)) for r in finished]
        purged = [trip_id for trip_id, at in due if at is not None and at < cutoff]
        counts = {"keys": 0, "predictions": 0, "outcomes": 0}
        for start in range(0, len(purged), _PURGE_BATCH):
            batch = purged[start : start + _PURGE_BATCH]
            conn.execute(
                trips.update()
                .where(trips.c.id.in_(batch))
                .values(request="{}", purged_at=utc_text(now))
            )
            keys = idempotency_keys.delete().where(idempotency_keys.c.trip_id.in_(batch))
            counts["keys"] += conn.execute(keys).rowcount
            counts["predictions"] += _coarsen_predictions(conn, batch)
            counts["outcomes"] += _coarsen_outcomes(conn, batch)
        deleted, coarsened = _purge_plans(conn, cutoff, set(purged))
        if keys_before is not None:
            counts["keys"] += self._expire_keys(conn, keys_before)
        return PurgeReport(
            trips=len(purged),
            idempotency_keys=counts["keys"],
            predictions=counts["predictions"],
            outcomes=counts["outcomes"],
            plans_deleted=deleted,
            plans_coarsened=coarsened,
        )


def _coarsen_predictions(conn: Connection, trip_ids: list[str]) -> int:
    """Move the points in the features of these trips' predictions to coarse cells."""
    rows = conn.execute(
        sa.select(predictions.c.id, predictions.c.features).where(
            predictions.c.trip_id.in_(trip_ids)
        )
    ).all()
    for row in rows:
        features = retention.coarse_features(json.loads(row.features))
        conn.execute(
            predictions.update()
            .where(predictions.c.id == row.id)
            .values(features=json.dumps(features))
        )
    return len(rows)


def _coarsen_outcomes(conn: Connection, trip_ids: list[str]) -> int:
    """Move both ends of these trips' outcomes to coarse cells."""
    points = (
        outcomes.c.origin_lat,
        outcomes.c.origin_lon,
        outcomes.c.dest_lat,
        outcomes.c.dest_lon,
    )
    rows = conn.execute(
        sa.select(outcomes.c.id, *points).where(outcomes.c.trip_id.in_(trip_ids))
    ).all()
    for row in rows:
        conn.execute(
            outcomes.update()
            .where(outcomes.c.id == row.id)
            .values({c.name: retention.coarse(getattr(row, c.name)) for c in points})
        )
    return len(rows)


def _purge_plans(conn: Connection, cutoff: datetime, trip_ids: set[str]) -> tuple[int, int]:
    """Delete the superseded plans made before ``cutoff``; in the others, move the stops of
    these trips to coarse cells. How many plans were deleted and how many changed."""
    latest = conn.execute(sa.select(sa.func.max(plans.c.id))).scalar_one_or_none()
    if latest is None:
        return 0, 0
    deleted = conn.execute(
        plans.delete().where(plans.c.created_at < utc_text(cutoff), plans.c.id != latest)
    ).rowcount
    changed = 0
    if trip_ids:
        for row in conn.execute(sa.select(plans.c.id, plans.c.plan)).all():
            plan = json.loads(row.plan)
            if retention.coarse_stops(plan, trip_ids):
                conn.execute(
                    plans.update().where(plans.c.id == row.id).values(plan=json.dumps(plan))
                )
                changed += 1
    return int(deleted), changed


def _engine_options(url: sa.URL) -> dict[str, Any]:
    """SQLite: threads share the file, waiting 30 s for its lock. PostgreSQL: connections
    are checked before use (a restarted server costs no request) and time out. Both: SQL
    parameters never reach a log (``sqlalchemy.engine`` at INFO) or an error's message."""
    if url.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": _SQLITE_LOCK_TIMEOUT_S}
        return {"connect_args": connect_args, "hide_parameters": True}
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": _CONNECT_TIMEOUT_S}
    return {"connect_args": connect_args, "pool_pre_ping": True, "hide_parameters": True}


def _reason(exc: sa.exc.DBAPIError) -> str:
    """The driver's message on one line, without SQLAlchemy's statement and link."""
    return " ".join(str(exc.orig).split())


def _configure_sqlite(engine: Engine) -> None:
    """WAL, full sync, foreign keys; explicit BEGIN (IMMEDIATE for writes)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_LOCK_TIMEOUT_S * 1000}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch to WAL, retrying for up to 30 s: while another connection writes the first
    transaction of a new file, the switch fails at once (no busy wait) as locked."""
    deadline = time.monotonic() + _SQLITE_LOCK_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _trip_row(row: Any) -> TripRow:
    return TripRow(
        request=TripRequest.model_validate_json(row.request),
        status=BookingStatus(row.status),
        called_at=None if row.called_at is None else from_text(row.called_at),
        created_at=from_text(row.created_at),
        updated_at=from_text(row.updated_at),
    )


def _key_row(row: Any) -> KeyRow:
    return KeyRow(
        id=row.id,
        name=row.name,
        role=row.role,
        vehicle_id=row.vehicle_id,
        salt=row.salt,
        hash=row.hash,
        created_at=from_text(row.created_at),
        revoked_at=None if row.revoked_at is None else from_text(row.revoked_at),
    )


def _prediction_row(row: Any) -> PredictionRow:
    return PredictionRow(
        id=int(row.id),
        model_version=row.model_version,
        departure=from_text(row.departure),
        p50_s=float(row.p50_s),
        p90_s=float(row.p90_s),
        free_flow_s=float(row.free_flow_s),
        features=json.loads(row.features),
    )


def _new_row_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an insert just wrote."""
    key = result.inserted_primary_key
    assert key is not None, "an insert reports its primary key"
    return int(key[0])
