"""The discrete-event replay of one day: requests arrive, a policy decides, vehicles drive.

Vehicles drive on the world's true times; the policy sees only what a dispatcher would
(:class:`SimView`): booked trips and what they said when booking, where each vehicle is
heading and who is on board, the observed weather and congestion, and the outcomes so
far. It never learns a rider will not show or cancel before it happens.

A vehicle works through its queue of :class:`Task` s (pick up or drop off a trip), driving
to each as soon as the one before is done. The task under way cannot be changed; the
policy may replace the rest of a queue at any decision. At a pickup the driver waits
until the rider is ready and the planned time has come; a no-show is known after
``no_show_wait_s``. A vehicle with nothing left to do after its shift drives back to its
depot. Every rule a policy could break (a pickup of an unknown or taken trip, a rider on
board without a dropoff, a full vehicle) raises :class:`PolicyError`.

Deterministic for a world, a day and a policy: events at the same time are handled in a
fixed order, and driving noise comes from the world's seeded streams.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Protocol

import numpy as np

import routing

from .demand import Trip
from .exceptions import PolicyError
from .fleet import FleetVehicle
from .world import World

PICKUP, DROPOFF = "pickup", "dropoff"
STREAM_SIMULATION = 7
DAY_END_S = 30 * 3600.0  # trips still open then are unserved


@dataclass(frozen=True)
class Task:
    """Go to a trip's pickup or dropoff; do not start service there before ``not_before_s``."""

    trip_id: str
    kind: str
    not_before_s: float = 0.0


class TripStatus(StrEnum):
    """Where a trip is in its life."""

    UPCOMING = "upcoming"  # not booked yet
    WAITING = "waiting"  # booked, not picked up
    ON_BOARD = "on_board"
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    UNSERVED = "unserved"


FINAL_STATUSES = frozenset(
    {TripStatus.SERVED, TripStatus.NO_SHOW, TripStatus.CANCELLED, TripStatus.UNSERVED}
)


@dataclass
class TripRecord:
    """One trip's outcome: times in seconds after midnight, ``None`` where it did not happen."""

    trip: Trip
    ready_from_s: float
    status: TripStatus = TripStatus.UPCOMING
    vehicle_id: str | None = None
    arrived_pickup_s: float | None = None
    pickup_s: float | None = None
    dropoff_s: float | None = None
    direct_s: float | None = None  # true direct drive at pickup time
    cancel_s: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Leg:
    """One drive: the policy's predicted and the true duration, distance, riders on board."""

    vehicle_id: str
    origin: int
    dest: int
    depart_s: float
    arrive_s: float
    predicted_s: float
    distance_m: float
    riders: int
    trip_id: str | None
    kind: str  # PICKUP, DROPOFF or "depot"


@dataclass(frozen=True)
class Activity:
    """A stretch of a vehicle's day: drive, wait, board, alight or no-show wait."""

    vehicle_id: str
    kind: str
    start_s: float
    end_s: float
    riders: int


@dataclass(frozen=True)
class Decision:
    """One call into the policy: what triggered it and its wall-clock seconds."""

    at_s: float
    trigger: str
    seconds: float


@dataclass
class DayResult:
    """Everything a day left behind, for KPIs, plots and the model monitor."""

    policy: str
    day: int
    trips: list[TripRecord]
    legs: list[Leg]
    activities: list[Activity]
    decisions: list[Decision]
    fleet: list[FleetVehicle]


@dataclass(frozen=True)
class SimConfig:
    """Rules of the replay."""

    no_show_wait_s: float = 300.0
    cancel_notice_s: tuple[float, float] = (600.0, 3600.0)  # before the pickup
    prebook_lead_s: float = 3600.0  # pre-booked trips reach the policy this long before shifts
    arrive_by_ready_s: float = 5400.0  # riders to appointments are ready this long before


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


class Policy(Protocol):
    """A dispatch policy: called at the start, on bookings, cancellations, idle vehicles, ticks."""

    name: str
    tick_s: float | None

    def start(self, view: SimView) -> None:
        """The day begins: pre-booked trips are known."""

    def on_booking(self, view: SimView, trip_id: str) -> None:
        """A trip was booked during the day (a will-call return, a same-day trip)."""

    def on_cancel(self, view: SimView, trip_id: str) -> None:
        """A rider cancelled."""

    def on_idle(self, view: SimView, vehicle_id: str) -> None:
        """A vehicle has nothing left to do."""

    def on_tick(self, view: SimView) -> None:
        """Every ``tick_s`` seconds, if set."""

    def estimate(self, origin: int, dest: int, depart_s: float) -> float:
        """The policy's predicted seconds for a drive (logged against the truth)."""
        ...


class _Kind(IntEnum):
    """Event kinds; at equal times they are handled in this order."""

    SHIFT_START = 0
    BOOK = 1
    CANCEL = 2
    ARRIVE = 3
    FREE = 4
    TICK = 5
    SHIFT_END = 6


@dataclass
class _Vehicle:
    fleet: FleetVehicle
    node: int
    queue: list[Task] = field(default_factory=list)
    current: Task | None = None
    on_board: list[str] = field(default_factory=list)
    driving_since: float | None = None
    driving_from: int | None = None
    busy_until: float | None = None
    started: bool = False
    off_duty: bool = False
    idle_told: bool = False  # the policy knows it has nothing to do


class Simulation:
    """One day of one world under one policy; :meth:`run` returns a :class:`DayResult`."""

    def __init__(
        self, world: World, day: int, policy: Policy, config: SimConfig | None = None
    ) -> None:
        self.world = world
        self.day = day
        self.policy = policy
        self.config = config or SimConfig()
        self.now = 0.0
        self._noise = world.rng(STREAM_SIMULATION, day)
        self._events: list[tuple[float, int, int, str]] = []
        self._seq = itertools.count()
        self.trips = {t.trip_id: TripRecord(t, self._ready_from(t)) for t in world.trips(day)}
        self.vehicles = {v.vehicle_id: _Vehicle(v, v.depot) for v in world.fleet}
        self._legs: list[Leg] = []
        self._activities: list[Activity] = []
        self._decisions: list[Decision] = []
        self._idle: list[_Vehicle] = []
        self.view = SimView(self)

    # --- running ------------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> DayResult:
        """Replay the day; ``progress`` gets the simulated clock (s) as events are handled."""
        start = min(v.shift_start_s for v in self.world.fleet) - self.config.prebook_lead_s
        self.now = start
        for record in self.trips.values():
            self._schedule_trip_events(record, start)
        for v in self.world.fleet:
            self._push(v.shift_start_s, _Kind.SHIFT_START, v.vehicle_id)
            self._push(v.shift_end_s, _Kind.SHIFT_END, v.vehicle_id)
        if self.policy.tick_s:
            end = max(v.shift_end_s for v in self.world.fleet)
            for t in np.arange(start, end, self.policy.tick_s):
                self._push(float(t), _Kind.TICK, "")
        self._decide("start", lambda: self.policy.start(self.view))
        self._tell_idle()
        while self._events:
            t, kind, _, key = heapq.heappop(self._events)
            if t > DAY_END_S:
                break
            self.now = max(self.now, t)
            self._handle(_Kind(kind), key)
            self._tell_idle()
            if progress is not None:
                progress(self.now)
        self._close_day()
        return DayResult(
            self.policy.name,
            self.day,
            list(self.trips.values()),
            self._legs,
            self._activities,
            self._decisions,
            list(self.world.fleet),
        )

    def _schedule_trip_events(self, record: TripRecord, start: float) -> None:
        trip = record.trip
        if trip.booked_s < 0:
            record.status = TripStatus.WAITING
        else:
            self._push(trip.booked_s, _Kind.BOOK, trip.trip_id)
        if trip.cancelled:
            notice = self._noise.uniform(*self.config.cancel_notice_s)
            record.cancel_s = max(record.ready_from_s - notice, trip.booked_s, start)
            self._push(record.cancel_s, _Kind.CANCEL, trip.trip_id)

    def _ready_from(self, trip: Trip) -> float:
        if trip.ready_s is not None:
            return trip.ready_s
        assert trip.appointment_s is not None
        return trip.appointment_s - self.config.arrive_by_ready_s

    def _push(self, t: float, kind: _Kind, key: str) -> None:
        heapq.heappush(self._events, (t, int(kind), next(self._seq), key))

    def _decide(self, trigger: str, call: Callable[[], None]) -> None:
        started = time.perf_counter()
        call()
        self._decisions.append(Decision(self.now, trigger, time.perf_counter() - started))
        for vehicle in self.vehicles.values():
            self._advance(vehicle)

    def _tell_idle(self) -> None:
        """Tell the policy about vehicles that ran out of work, once each time."""
        while self._idle:
            v = self._idle.pop(0)
            if v.current is None and not v.queue and not v.off_duty and not v.idle_told:
                v.idle_told = True
                self._decide("idle", lambda v=v: self.policy.on_idle(self.view, v.fleet.vehicle_id))

    def _handle(self, kind: _Kind, key: str) -> None:
        if kind is _Kind.TICK:
            self._decide("tick", lambda: self.policy.on_tick(self.view))
        elif kind is _Kind.BOOK:
            record = self.trips[key]
            if record.status is TripStatus.UPCOMING:
                record.status = TripStatus.WAITING
                self._decide("booking", lambda: self.policy.on_booking(self.view, key))
        elif kind is _Kind.CANCEL:
            self._cancel(key)
        elif kind is _Kind.SHIFT_START:
            vehicle = self.vehicles[key]
            vehicle.started = True
            self._advance(vehicle)
        elif kind is _Kind.SHIFT_END:
            self._advance(self.vehicles[key])
        elif kind is _Kind.ARRIVE:
            self._arrive(self.vehicles[key])
        else:
            self._finish(self.vehicles[key])

    def _cancel(self, trip_id: str) -> None:
        record = self.trips[trip_id]
        if record.status is not TripStatus.WAITING:
            return  # already on board, done, or not booked yet (then never booked)
        record.status = TripStatus.CANCELLED
        for vehicle in self.vehicles.values():
            vehicle.queue = [t for t in vehicle.queue if t.trip_id != trip_id]
        self._decide("cancellation", lambda: self.policy.on_cancel(self.view, trip_id))

    # --- vehicles -----------------------------------------------------------------------

    def _advance(self, v: _Vehicle) -> None:
        """Start the vehicle's next task if it is free, on shift and has one."""
        if v.current is not None or not v.started or v.off_duty:
            return
        while v.queue and not self._still_needed(v.queue[0]):
            v.queue.pop(0)
        if not v.queue:
            if self.now >= v.fleet.shift_end_s:
                self._return_to_depot(v)
            elif not v.idle_told:
                self._idle.append(v)
            return
        v.idle_told = False
        task = v.current = v.queue.pop(0)
        record = self.trips[task.trip_id]
        if task.kind == PICKUP:
            record.vehicle_id = v.fleet.vehicle_id
        self._drive(v, self._node_of(task), task.trip_id, task.kind)

    def _still_needed(self, task: Task) -> bool:
        status = self.trips[task.trip_id].status
        return status is (TripStatus.WAITING if task.kind == PICKUP else TripStatus.ON_BOARD)

    def _node_of(self, task: Task) -> int:
        trip = self.trips[task.trip_id].trip
        return trip.pickup if task.kind == PICKUP else trip.dropoff

    def _drive(self, v: _Vehicle, dest: int, trip_id: str | None, kind: str) -> None:
        origin, depart = v.node, self.now
        duration = self.world.drive(
            origin, dest, self.day, depart, float(self._noise.standard_normal())
        )
        if origin != dest:
            path = routing.shortest_path(self.world.graph, origin, dest)
            self._legs.append(
                Leg(
                    v.fleet.vehicle_id,
                    origin,
                    dest,
                    depart,
                    depart + duration,
                    self.policy.estimate(origin, dest, depart),
                    path.length_m,
                    len(v.on_board),
                    trip_id,
                    kind,
                )
            )
            self._log(v, "drive", depart, depart + duration)
        v.node, v.driving_since, v.driving_from = dest, depart, origin
        self._push(depart + duration, _Kind.ARRIVE, v.fleet.vehicle_id)

    def _return_to_depot(self, v: _Vehicle) -> None:
        v.off_duty = True
        if v.node != v.fleet.depot:
            self._drive(v, v.fleet.depot, None, "depot")

    def _arrive(self, v: _Vehicle) -> None:
        v.driving_since = v.driving_from = None
        task = v.current
        if task is None:  # back at the depot
            return
        record = self.trips[task.trip_id]
        if task.kind == DROPOFF:
            record.dropoff_s = self.now
            self._busy_until(v, self.now + record.trip.alight_s, "alight", self.now)
            return
        record.arrived_pickup_s = self.now
        if record.status is not TripStatus.WAITING:  # cancelled on the way
            self._finish(v)
            return
        start = max(self.now, record.ready_from_s, task.not_before_s)
        if start > self.now:
            self._log(v, "wait", self.now, start)
        if record.trip.no_show:
            self._busy_until(v, start + self.config.no_show_wait_s, "no_show", start)
            return
        self._board(v, record, start)

    def _busy_until(self, v: _Vehicle, until: float, kind: str, since: float) -> None:
        """The vehicle is busy with ``kind`` from ``since`` until ``until``."""
        self._log(v, kind, since, until)
        v.busy_until = until
        self._push(until, _Kind.FREE, v.fleet.vehicle_id)

    def _board(self, v: _Vehicle, record: TripRecord, start: float) -> None:
        riders = [self.trips[t].trip for t in (*v.on_board, record.trip.trip_id)]
        if not v.fleet.vehicle_type.fits([(t.mobility, t.escorts) for t in riders]):
            msg = (
                f"{v.fleet.vehicle_id} ({v.fleet.vehicle_type.name}) cannot also carry "
                f"{record.trip.trip_id} ({record.trip.mobility}): riders {list(v.on_board)}"
            )
            raise PolicyError(msg)
        record.status = TripStatus.ON_BOARD
        record.pickup_s = start
        record.direct_s = self.world.drive(
            record.trip.pickup, record.trip.dropoff, self.day, start, 0.0
        )
        v.on_board.append(record.trip.trip_id)
        self._busy_until(v, start + record.trip.board_s, "board", start)

    def _finish(self, v: _Vehicle) -> None:
        """The current task is done (or was never needed): settle it, take the next."""
        task, v.current, v.busy_until = v.current, None, None
        if task is None:
            self._advance(v)
            return
        record = self.trips[task.trip_id]
        if task.kind == DROPOFF:
            record.status = TripStatus.SERVED
            v.on_board.remove(task.trip_id)
        elif record.status is TripStatus.WAITING and record.trip.no_show:
            record.status = TripStatus.NO_SHOW
        self._advance(v)

    def _log(self, v: _Vehicle, kind: str, start: float, end: float) -> None:
        self._activities.append(Activity(v.fleet.vehicle_id, kind, start, end, len(v.on_board)))

    def _close_day(self) -> None:
        for record in self.trips.values():
            if record.status is TripStatus.WAITING:
                record.status = TripStatus.UNSERVED
                record.reason = record.reason or "not served by the end of the day"
            elif record.status is TripStatus.ON_BOARD:
                msg = f"{record.trip.trip_id} was still on board at the end of the day"
                raise PolicyError(msg)

    # --- policy requests ------------------------------------------------------------------

    def assign(self, vehicle_id: str, tasks: Sequence[Task]) -> None:
        """Replace a vehicle's pending tasks (see :meth:`SimView.assign`)."""
        if vehicle_id not in self.vehicles:
            msg = f"unknown vehicle {vehicle_id!r}"
            raise PolicyError(msg)
        v = self.vehicles[vehicle_id]
        committed = list(v.on_board)
        if v.current is not None and v.current.kind == PICKUP:
            committed.append(v.current.trip_id)
        if v.current is not None and v.current.kind == DROPOFF:
            committed.remove(v.current.trip_id)
        seen: set[tuple[str, str]] = set()
        picked: set[str] = set()
        for task in tasks:
            self._check_task(v, task, seen, picked, committed)
        missing = set(committed) - {t.trip_id for t in tasks if t.kind == DROPOFF}
        if missing:
            msg = f"{vehicle_id}: riders {sorted(missing)} would never be dropped off"
            raise PolicyError(msg)
        for other in self.vehicles.values():
            if other is not v:
                other.queue = [t for t in other.queue if t.trip_id not in picked]
        v.queue = list(tasks)

    def _check_task(
        self, v: _Vehicle, task: Task, seen: set, picked: set[str], committed: list[str]
    ) -> None:
        name = v.fleet.vehicle_id
        record = self.trips.get(task.trip_id)
        if record is None or task.kind not in (PICKUP, DROPOFF):
            msg = f"{name}: invalid task {task}"
            raise PolicyError(msg)
        if (task.trip_id, task.kind) in seen:
            msg = f"{name}: task {task} appears twice"
            raise PolicyError(msg)
        seen.add((task.trip_id, task.kind))
        if task.kind == PICKUP:
            if record.status is not TripStatus.WAITING or self._under_way(task.trip_id, v):
                msg = f"{name}: trip {task.trip_id} cannot be picked up ({record.status})"
                raise PolicyError(msg)
            if not v.fleet.vehicle_type.can_carry(record.trip.mobility, record.trip.escorts):
                msg = f"{name}: a {v.fleet.vehicle_type.name} cannot carry {task.trip_id}"
                raise PolicyError(msg)
            picked.add(task.trip_id)
        elif task.trip_id not in picked and task.trip_id not in committed:
            msg = f"{name}: drop-off of {task.trip_id} before it is picked up"
            raise PolicyError(msg)

    def _under_way(self, trip_id: str, owner: _Vehicle) -> bool:
        """Whether another vehicle is already driving to (or at) this trip's pickup."""
        return any(
            v is not owner and v.current is not None and v.current.trip_id == trip_id
            for v in self.vehicles.values()
        )

    def reject(self, trip_id: str, reason: str) -> None:
        """The policy will not serve this trip."""
        record = self.trips[trip_id]
        if record.status is not TripStatus.WAITING:
            msg = f"trip {trip_id} cannot be rejected ({record.status})"
            raise PolicyError(msg)
        record.status = TripStatus.UNSERVED
        record.reason = reason
        for vehicle in self.vehicles.values():
            vehicle.queue = [t for t in vehicle.queue if t.trip_id != trip_id]


class SimView:
    """The policy's window on the simulation: known trips, vehicles, feeds; and its levers."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim

    @property
    def now(self) -> float:
        """Seconds after midnight of the simulated day."""
        return self._sim.now

    @property
    def world(self) -> World:
        """The world's public parts: graph, places, fleet, observed feeds."""
        return self._sim.world

    @property
    def day(self) -> int:
        """Day index in the world."""
        return self._sim.day

    def trip(self, trip_id: str) -> Trip:
        """A booked trip as the rider booked it.

        Its ``no_show`` and ``cancelled`` fields are hidden (False): nobody knows yet.
        """
        record = self._sim.trips[trip_id]
        if record.status is TripStatus.UPCOMING:
            msg = f"trip {trip_id} is not booked yet"
            raise KeyError(msg)
        return _as_booked(record.trip)

    def ready_from(self, trip_id: str) -> float:
        """When the rider is ready for pickup (seconds after midnight)."""
        return self._sim.trips[trip_id].ready_from_s

    def waiting(self) -> list[str]:
        """Ids of booked trips not yet picked up, cancelled or rejected, in booking order."""
        return [k for k, r in self._sim.trips.items() if r.status is TripStatus.WAITING]

    def assigned(self) -> dict[str, str]:
        """Vehicle id of every waiting trip that is in some vehicle's queue or under way."""
        out = {}
        for vehicle_id, v in self._sim.vehicles.items():
            for task in [*([v.current] if v.current else []), *v.queue]:
                if task.kind == PICKUP:
                    out[task.trip_id] = vehicle_id
        return out

    def vehicles(self) -> list[VehicleView]:
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
            for v in self._sim.vehicles.values()
        ]

    def assign(self, vehicle_id: str, tasks: Sequence[Task]) -> None:
        """Replace the vehicle's pending tasks; pickups move from other queues to this one."""
        self._sim.assign(vehicle_id, tasks)

    def reject(self, trip_id: str, reason: str) -> None:
        """Decline a waiting trip, with the reason reported in the KPIs."""
        self._sim.reject(trip_id, reason)


def _as_booked(trip: Trip) -> Trip:
    return replace(trip, no_show=False, cancelled=False)


def run_day(
    world: World,
    day: int,
    policy: Policy,
    config: SimConfig | None = None,
    progress: Callable[[float], None] | None = None,
) -> DayResult:
    """Replay ``day`` of ``world`` under ``policy``."""
    return Simulation(world, day, policy, config).run(progress)
