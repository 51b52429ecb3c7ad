"""The discrete-event replay of one day: requests arrive, a policy decides, vehicles drive.

Vehicles drive on the world's true times; the policy sees only what a dispatcher would
(:class:`~simulations.view.SimView`): booked trips and what they said when booking, where
each vehicle is heading and who is on board, the world's public parts, and the outcomes so
far. It never learns a rider will not show or cancel before it happens: the engine keeps
that truth apart from the public :class:`~simulations.view.Board`.

A vehicle works through its queue of :class:`~simulations.view.Task` s (pick up or drop
off a trip), driving
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
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from functools import partial
from typing import Protocol

import numpy as np

import routing

from .demand import Trip
from .exceptions import PolicyError
from .fleet import FleetVehicle
from .view import Board, SimTrip, SimView, Task, TaskKind, TripPhase, VehicleState
from .world import World

STREAM_SIMULATION = 7
DAY_END_S = 30 * 3600.0  # trips still open then are unserved
DEPOT = "depot"  # the kind of the drive back to the depot, beside the TaskKind values


class ActivityKind(StrEnum):
    """What a vehicle is doing during an :class:`Activity`."""

    DRIVE = "drive"
    WAIT = "wait"
    BOARD = "board"
    ALIGHT = "alight"
    NO_SHOW = "no_show"  # waiting at the door for a rider who does not come


class Trigger(StrEnum):
    """Why the engine called into the policy."""

    START = "start"
    BOOKING = "booking"
    CANCELLATION = "cancellation"
    IDLE = "idle"
    TICK = "tick"


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
    kind: str  # a TaskKind, or DEPOT


@dataclass(frozen=True)
class Activity:
    """A stretch of a vehicle's day: drive, wait, board, alight or no-show wait."""

    vehicle_id: str
    kind: ActivityKind
    start_s: float
    end_s: float
    riders: int


@dataclass(frozen=True)
class Decision:
    """One call into the policy: what triggered it and its wall-clock seconds."""

    at_s: float
    trigger: Trigger
    seconds: float


@dataclass
class DayResult:
    """Everything a day left behind, for KPIs, plots and the model monitor."""

    policy: str
    day: int
    trips: list[SimTrip]
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


class Simulation:
    """One day of one world under one policy; :meth:`run` returns a :class:`DayResult`.

    The public state lives on :attr:`board`; the truth (who will not show or cancel, and
    when, and each ride's true direct drive) only here, until the day's result.
    """

    def __init__(
        self, world: World, day: int, policy: Policy, config: SimConfig | None = None
    ) -> None:
        self.world = world
        self.day = day
        self.policy = policy
        self.config = config or SimConfig()
        self._noise = world.rng(STREAM_SIMULATION, day)
        self._events: list[tuple[float, int, int, str]] = []
        self._seq = itertools.count()
        self._truth = {t.trip_id: t for t in world.trips(day)}
        self._rank = {k: i for i, k in enumerate(self._truth)}  # the waiting order
        self._cancel_at: dict[str, float] = {}
        self._direct: dict[str, float] = {}
        self.trips = {
            k: SimTrip(_as_booked(t), self._ready_from(t)) for k, t in self._truth.items()
        }
        self.board = Board(world.fleet)
        self._legs: list[Leg] = []
        self._activities: list[Activity] = []
        self._decisions: list[Decision] = []
        self._idle: list[VehicleState] = []
        self.view = SimView(world.public, day, self.board)

    @property
    def now(self) -> float:
        """The simulated clock, seconds after midnight."""
        return self.board.now

    # --- running ------------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> DayResult:
        """Replay the day; ``progress`` gets the simulated clock (s) as events are handled."""
        start = min(v.shift_start_s for v in self.world.fleet) - self.config.prebook_lead_s
        self.board.now = start
        for record in self.trips.values():
            self._schedule_trip_events(record, start)
        for v in self.world.fleet:
            self._push(v.shift_start_s, _Kind.SHIFT_START, v.vehicle_id)
            self._push(v.shift_end_s, _Kind.SHIFT_END, v.vehicle_id)
        if self.policy.tick_s:
            end = max(v.shift_end_s for v in self.world.fleet)
            for t in np.arange(start, end, self.policy.tick_s):
                self._push(float(t), _Kind.TICK, "")
        self._decide(Trigger.START, lambda: self.policy.start(self.view))
        self._tell_idle()
        while self._events:
            t, kind, _, key = heapq.heappop(self._events)
            if t > DAY_END_S:
                break
            self.board.now = max(self.now, t)
            self._handle(_Kind(kind), key)
            self._tell_idle()
            if progress is not None:
                progress(self.now)
        self._close_day()
        return DayResult(
            self.policy.name,
            self.day,
            [self._revealed(k, r) for k, r in self.trips.items()],
            self._legs,
            self._activities,
            self._decisions,
            list(self.world.fleet),
        )

    def _schedule_trip_events(self, record: SimTrip, start: float) -> None:
        trip = self._truth[record.trip.trip_id]
        if trip.booked_s < 0:
            self.board.book(record, self._rank[trip.trip_id])
        else:
            self._push(trip.booked_s, _Kind.BOOK, trip.trip_id)
        if trip.cancelled:
            notice = self._noise.uniform(*self.config.cancel_notice_s)
            cancel_s = max(record.ready_from_s - notice, trip.booked_s, start)
            self._cancel_at[trip.trip_id] = cancel_s
            self._push(cancel_s, _Kind.CANCEL, trip.trip_id)

    def _revealed(self, trip_id: str, record: SimTrip) -> SimTrip:
        """The trip's record with the truth the day kept hidden."""
        return replace(
            record,
            trip=self._truth[trip_id],
            direct_s=self._direct.get(trip_id),
            cancel_s=self._cancel_at.get(trip_id),
        )

    def _ready_from(self, trip: Trip) -> float:
        if trip.ready_s is not None:
            return trip.ready_s
        assert trip.appointment_s is not None
        return trip.appointment_s - self.config.arrive_by_ready_s

    def _push(self, t: float, kind: _Kind, key: str) -> None:
        heapq.heappush(self._events, (t, int(kind), next(self._seq), key))

    def _decide(self, trigger: Trigger, call: Callable[[], None]) -> None:
        started = time.perf_counter()
        call()
        self._decisions.append(Decision(self.now, trigger, time.perf_counter() - started))
        for vehicle in self.board.vehicles.values():
            self._advance(vehicle)

    def _tell_idle(self) -> None:
        """Tell the policy about vehicles that ran out of work, once each time."""
        while self._idle:
            v = self._idle.pop(0)
            if v.current is None and not v.queue and not v.off_duty and not v.idle_told:
                v.idle_told = True
                on_idle = partial(self.policy.on_idle, self.view, v.fleet.vehicle_id)
                self._decide(Trigger.IDLE, on_idle)

    def _handle(self, kind: _Kind, key: str) -> None:
        vehicles = self.board.vehicles
        if kind is _Kind.TICK:
            self._decide(Trigger.TICK, lambda: self.policy.on_tick(self.view))
        elif kind is _Kind.BOOK:
            record = self.trips[key]
            if record.phase is TripPhase.UPCOMING:
                self.board.book(record, self._rank[key])
                self._decide(Trigger.BOOKING, lambda: self.policy.on_booking(self.view, key))
        elif kind is _Kind.CANCEL:
            self._cancel(key)
        elif kind is _Kind.SHIFT_START:
            vehicle = vehicles[key]
            vehicle.started = True
            self._advance(vehicle)
        elif kind is _Kind.SHIFT_END:
            self._advance(vehicles[key])
        elif kind is _Kind.ARRIVE:
            self._arrive(vehicles[key])
        else:
            self._finish(vehicles[key])

    def _cancel(self, trip_id: str) -> None:
        record = self.trips[trip_id]
        if record.phase is not TripPhase.WAITING:
            return  # already on board, done, or not booked yet (then never booked)
        record.phase = TripPhase.CANCELLED
        self.board.unqueue({trip_id})
        self._decide(Trigger.CANCELLATION, lambda: self.policy.on_cancel(self.view, trip_id))

    # --- vehicles -----------------------------------------------------------------------

    def _advance(self, v: VehicleState) -> None:
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
        if task.kind == TaskKind.PICKUP:
            record.vehicle_id = v.fleet.vehicle_id
        self._drive(v, self._node_of(task), task.trip_id, task.kind)

    def _still_needed(self, task: Task) -> bool:
        phase = self.trips[task.trip_id].phase
        return phase is (TripPhase.WAITING if task.kind == TaskKind.PICKUP else TripPhase.ON_BOARD)

    def _node_of(self, task: Task) -> int:
        trip = self.trips[task.trip_id].trip
        return trip.pickup if task.kind == TaskKind.PICKUP else trip.dropoff

    def _drive(self, v: VehicleState, dest: int, trip_id: str | None, kind: str) -> None:
        origin, depart = v.node, self.now
        duration = self.world.drive(
            origin, dest, self.day, depart, float(self._noise.standard_normal())
        )
        if origin != dest:
            path = routing.router(self.world.graph).shortest_path(origin, dest)
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
            self._log(v, ActivityKind.DRIVE, depart, depart + duration)
        v.node, v.driving_since, v.driving_from = dest, depart, origin
        self._push(depart + duration, _Kind.ARRIVE, v.fleet.vehicle_id)

    def _return_to_depot(self, v: VehicleState) -> None:
        v.off_duty = True
        if v.node != v.fleet.depot:
            self._drive(v, v.fleet.depot, None, DEPOT)

    def _arrive(self, v: VehicleState) -> None:
        v.driving_since = v.driving_from = None
        task = v.current
        if task is None:  # back at the depot
            return
        record = self.trips[task.trip_id]
        if task.kind == TaskKind.DROPOFF:
            record.dropoff_s = self.now
            self._busy_until(v, self.now + record.trip.alight_s, ActivityKind.ALIGHT, self.now)
            return
        record.arrived_pickup_s = self.now
        if record.phase is not TripPhase.WAITING:  # cancelled on the way
            self._finish(v)
            return
        start = max(self.now, record.ready_from_s, task.not_before_s)
        if start > self.now:
            self._log(v, ActivityKind.WAIT, self.now, start)
        if self._truth[task.trip_id].no_show:
            self._busy_until(v, start + self.config.no_show_wait_s, ActivityKind.NO_SHOW, start)
            return
        self._board(v, record, start)

    def _busy_until(self, v: VehicleState, until: float, kind: ActivityKind, since: float) -> None:
        """The vehicle is busy with ``kind`` from ``since`` until ``until``."""
        self._log(v, kind, since, until)
        v.busy_until = until
        self._push(until, _Kind.FREE, v.fleet.vehicle_id)

    def _board(self, v: VehicleState, record: SimTrip, start: float) -> None:
        riders = [self.trips[t].trip for t in (*v.on_board, record.trip.trip_id)]
        if not v.fleet.vehicle_type.fits([(t.mobility, t.escorts) for t in riders]):
            msg = (
                f"{v.fleet.vehicle_id} ({v.fleet.vehicle_type.name}) cannot also carry "
                f"{record.trip.trip_id} ({record.trip.mobility}): riders {list(v.on_board)}"
            )
            raise PolicyError(msg)
        record.phase = TripPhase.ON_BOARD
        record.pickup_s = start
        self._direct[record.trip.trip_id] = self.world.drive(
            record.trip.pickup, record.trip.dropoff, self.day, start, 0.0
        )
        v.on_board.append(record.trip.trip_id)
        self._busy_until(v, start + record.trip.board_s, ActivityKind.BOARD, start)

    def _finish(self, v: VehicleState) -> None:
        """The current task is done (or was never needed): settle it, take the next."""
        task, v.current, v.busy_until = v.current, None, None
        if task is None:
            self._advance(v)
            return
        record = self.trips[task.trip_id]
        if task.kind == TaskKind.DROPOFF:
            record.phase = TripPhase.SERVED
            v.on_board.remove(task.trip_id)
        elif record.phase is TripPhase.WAITING and self._truth[task.trip_id].no_show:
            record.phase = TripPhase.NO_SHOW
        self._advance(v)

    def _log(self, v: VehicleState, kind: ActivityKind, start: float, end: float) -> None:
        self._activities.append(Activity(v.fleet.vehicle_id, kind, start, end, len(v.on_board)))

    def _close_day(self) -> None:
        for record in self.trips.values():
            if record.phase is TripPhase.WAITING:
                record.phase = TripPhase.UNSERVED
                record.reason = record.reason or "not served by the end of the day"
            elif record.phase is TripPhase.ON_BOARD:
                msg = f"{record.trip.trip_id} was still on board at the end of the day"
                raise PolicyError(msg)


def _as_booked(trip: Trip) -> Trip:
    """The trip as its rider booked it: whether they will not show or cancel is unknown."""
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
