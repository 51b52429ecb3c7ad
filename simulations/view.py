"""What a dispatch policy sees of a simulated day, and the levers it may pull.

A :class:`Board` is the day's public state: the clock, the booked trips as their riders
booked them (whether a rider will not show or cancel is not on it), and the vehicles'
positions, queues and riders. The engine keeps the hidden truth beside it. A policy gets a
:class:`SimView`: the board read-only, the world's public parts
(:class:`~simulations.world.PublicWorld`), and two levers, :meth:`SimView.assign` and
:meth:`SimView.reject`, whose rules the board enforces (:class:`PolicyError`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .demand import Trip
from .exceptions import PolicyError
from .fleet import FleetVehicle
from .world import PublicWorld


class TaskKind(StrEnum):
    """What a vehicle does at a stop of a trip."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True)
class Task:
    """Go to a trip's pickup or dropoff; do not start service there before ``not_before_s``."""

    trip_id: str
    kind: TaskKind
    not_before_s: float = 0.0


class TripPhase(StrEnum):
    """Where a simulated trip is in its life."""

    UPCOMING = "upcoming"  # not booked yet
    WAITING = "waiting"  # booked, not picked up
    ON_BOARD = "on_board"
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    UNSERVED = "unserved"


FINAL_PHASES = frozenset(
    {TripPhase.SERVED, TripPhase.NO_SHOW, TripPhase.CANCELLED, TripPhase.UNSERVED}
)


@dataclass
class SimTrip:
    """One simulated trip's state and outcome (seconds after midnight; ``None``: not so).

    While the day runs, ``trip`` is the trip as booked and ``direct_s`` and ``cancel_s`` are
    unset; the day's result holds the true trip, the true direct drive at pickup time and
    when the rider cancelled (or would have).
    """

    trip: Trip
    ready_from_s: float
    phase: TripPhase = TripPhase.UPCOMING
    vehicle_id: str | None = None
    arrived_pickup_s: float | None = None
    pickup_s: float | None = None
    dropoff_s: float | None = None
    direct_s: float | None = None
    cancel_s: float | None = None
    reason: str | None = None


@dataclass
class VehicleState:
    """A vehicle during the day: where it is, its task under way, its queue, its riders."""

    fleet: FleetVehicle
    node: int  # where it is, or where its current drive ends
    queue: list[Task] = field(default_factory=list)
    current: Task | None = None
    on_board: list[str] = field(default_factory=list)
    driving_since: float | None = None
    driving_from: int | None = None
    busy_until: float | None = None
    started: bool = False
    off_duty: bool = False
    idle_told: bool = False  # the policy knows it has nothing to do


@dataclass(frozen=True)
class VehicleView:
    """What the dispatcher knows of a vehicle."""

    vehicle: FleetVehicle
    node: int  # where it is, or where its current drive ends
    on_board: tuple[str, ...]
    current: Task | None
    pending: tuple[Task, ...]
    driving_since_s: float | None  # departure of the current drive
    driving_from: int | None
    busy_until_s: float | None  # end of the current wait or service (not while driving)
    off_duty: bool

    @property
    def vehicle_id(self) -> str:
        """The vehicle's id."""
        return self.vehicle.vehicle_id


class Board:
    """The day's public state (clock, booked trips, vehicles) and the rules of the levers."""

    def __init__(self, vehicles: Sequence[FleetVehicle], now: float = 0.0) -> None:
        self.now = now
        self.trips: dict[str, SimTrip] = {}  # booked trips only
        self.vehicles = {v.vehicle_id: VehicleState(v, v.depot) for v in vehicles}
        self._rank: dict[str, int] = {}

    def book(self, record: SimTrip, rank: int) -> None:
        """A trip is booked; ``rank`` is its place in the day's requests (the waiting order)."""
        record.phase = TripPhase.WAITING
        self.trips[record.trip.trip_id] = record
        self._rank[record.trip.trip_id] = rank

    def waiting(self) -> list[str]:
        """Ids of booked trips not yet picked up, cancelled or rejected, in request order."""
        waiting = [k for k, r in self.trips.items() if r.phase is TripPhase.WAITING]
        return sorted(waiting, key=self._rank.__getitem__)

    def assigned(self) -> dict[str, str]:
        """Vehicle id of every waiting trip that is in some vehicle's queue or under way."""
        out = {}
        for vehicle_id, v in self.vehicles.items():
            for task in [*([v.current] if v.current else []), *v.queue]:
                if task.kind == TaskKind.PICKUP:
                    out[task.trip_id] = vehicle_id
        return out

    def vehicle_views(self) -> list[VehicleView]:
        """Every vehicle, in fleet order."""
        return [
            VehicleView(
                vehicle=v.fleet,
                node=v.node,
                on_board=tuple(v.on_board),
                current=v.current,
                pending=tuple(v.queue),
                driving_since_s=v.driving_since,
                driving_from=v.driving_from,
                busy_until_s=v.busy_until,
                off_duty=v.off_duty,
            )
            for v in self.vehicles.values()
        ]

    def unqueue(self, trip_ids: Collection[str], keep: VehicleState | None = None) -> None:
        """Take these trips' tasks out of every queue (but ``keep``'s)."""
        for vehicle in self.vehicles.values():
            if vehicle is not keep:
                vehicle.queue = [t for t in vehicle.queue if t.trip_id not in trip_ids]

    def assign(self, vehicle_id: str, tasks: Sequence[Task]) -> None:
        """Replace a vehicle's pending tasks (see :meth:`SimView.assign`)."""
        if vehicle_id not in self.vehicles:
            msg = f"unknown vehicle {vehicle_id!r}"
            raise PolicyError(msg)
        v = self.vehicles[vehicle_id]
        committed = list(v.on_board)
        if v.current is not None and v.current.kind == TaskKind.PICKUP:
            committed.append(v.current.trip_id)
        if v.current is not None and v.current.kind == TaskKind.DROPOFF:
            committed.remove(v.current.trip_id)
        seen: set[tuple[str, str]] = set()
        picked: set[str] = set()
        for task in tasks:
            self._check_task(v, task, seen, picked, committed)
        missing = set(committed) - {t.trip_id for t in tasks if t.kind == TaskKind.DROPOFF}
        if missing:
            msg = f"{vehicle_id}: riders {sorted(missing)} would never be dropped off"
            raise PolicyError(msg)
        self.unqueue(picked, keep=v)
        v.queue = list(tasks)

    def _check_task(
        self,
        v: VehicleState,
        task: Task,
        seen: set[tuple[str, str]],
        picked: set[str],
        committed: list[str],
    ) -> None:
        name = v.fleet.vehicle_id
        record = self.trips.get(task.trip_id)
        if record is None or task.kind not in (TaskKind.PICKUP, TaskKind.DROPOFF):
            msg = f"{name}: invalid task {task}"
            raise PolicyError(msg)
        if (task.trip_id, task.kind) in seen:
            msg = f"{name}: task {task} appears twice"
            raise PolicyError(msg)
        seen.add((task.trip_id, task.kind))
        if task.kind == TaskKind.PICKUP:
            if record.phase is not TripPhase.WAITING or self._under_way(task.trip_id, v):
                msg = f"{name}: trip {task.trip_id} cannot be picked up ({record.phase})"
                raise PolicyError(msg)
            if not v.fleet.vehicle_type.can_carry(record.trip.mobility, record.trip.escorts):
                msg = f"{name}: a {v.fleet.vehicle_type.name} cannot carry {task.trip_id}"
                raise PolicyError(msg)
            picked.add(task.trip_id)
        elif task.trip_id not in picked and task.trip_id not in committed:
            msg = f"{name}: drop-off of {task.trip_id} before it is picked up"
            raise PolicyError(msg)

    def _under_way(self, trip_id: str, owner: VehicleState) -> bool:
        """Whether another vehicle is already driving to (or at) this trip's pickup."""
        return any(
            v is not owner and v.current is not None and v.current.trip_id == trip_id
            for v in self.vehicles.values()
        )

    def reject(self, trip_id: str, reason: str) -> None:
        """The policy will not serve this waiting trip."""
        record = self.trips.get(trip_id)
        if record is None or record.phase is not TripPhase.WAITING:
            phase = "not booked" if record is None else record.phase
            msg = f"trip {trip_id} cannot be rejected ({phase})"
            raise PolicyError(msg)
        record.phase = TripPhase.UNSERVED
        record.reason = reason
        self.unqueue({trip_id})


class SimView:
    """The policy's window on the day: the public world, known trips, vehicles; its levers."""

    def __init__(self, world: PublicWorld, day: int, board: Board) -> None:
        self._world = world
        self._day = day
        self._board = board

    @property
    def now(self) -> float:
        """Seconds after midnight of the simulated day."""
        return self._board.now

    @property
    def world(self) -> PublicWorld:
        """The world's public parts: graph, calendar, fleet, places, weather feed."""
        return self._world

    @property
    def day(self) -> int:
        """Day index in the world."""
        return self._day

    def trip(self, trip_id: str) -> Trip:
        """A booked trip as the rider booked it.

        Its ``no_show`` and ``cancelled`` fields are False: nobody knows yet.
        """
        if trip_id not in self._board.trips:
            msg = f"trip {trip_id} is not booked yet"
            raise KeyError(msg)
        return self._board.trips[trip_id].trip

    def ready_from(self, trip_id: str) -> float:
        """When the rider of a booked trip is ready for pickup (seconds after midnight)."""
        return self._board.trips[trip_id].ready_from_s

    def waiting(self) -> list[str]:
        """Ids of booked trips not yet picked up, cancelled or rejected, in request order."""
        return self._board.waiting()

    def assigned(self) -> dict[str, str]:
        """Vehicle id of every waiting trip that is in some vehicle's queue or under way."""
        return self._board.assigned()

    def vehicles(self) -> list[VehicleView]:
        """Every vehicle, in fleet order."""
        return self._board.vehicle_views()

    def assign(self, vehicle_id: str, tasks: Sequence[Task]) -> None:
        """Replace the vehicle's pending tasks; pickups move from other queues to this one."""
        self._board.assign(vehicle_id, tasks)

    def reject(self, trip_id: str, reason: str) -> None:
        """Decline a waiting trip, with the reason reported in the KPIs."""
        self._board.reject(trip_id, reason)
