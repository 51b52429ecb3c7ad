"""Dispatch policies the simulator compares, behind one interface (:class:`engine.Policy`).

- :class:`GreedyPolicy`: the rule many small providers run on. Trips are dispatched first
  come first served, in order of their planned pickup, shortly before it, each to the
  compatible vehicle that can be there first; one trip at a time, no shared rides.
- :class:`BatchPolicy`: every ``interval_s`` the free vehicles and the trips due soon are
  matched at least cost with the matching solver (:func:`dispatch.on_demand.match_now`).
- :class:`ScheduledPolicy`: the pre-booked day is planned in advance with the scheduling
  solver (:func:`dispatch.planner.plan_day`, shared rides); will-calls and same-day trips
  are inserted live and the rest of the day is re-optimised every ``reoptimise_s`` from
  where the vehicles are (:func:`dispatch.live.replan`).

Each takes a :class:`TravelEstimator`: free-flow times or the learned ETA model.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import ClassVar

from dispatch.domain import Mobility, StopKind, UnassignedReason
from dispatch.live import replan
from dispatch.on_demand import match_now
from dispatch.planner import DayPlan, Lateness, plan_day

from .adapters import fleet_vehicle, live_vehicle, trip_request
from .estimator import TravelEstimator
from .view import SimView, Task, TaskKind, VehicleView

# Reasons that no later re-plan can change: the trip is declined at once.
_NEVER = frozenset({UnassignedReason.NO_COMPATIBLE_VEHICLE, UnassignedReason.RIDE_TIME_IMPOSSIBLE})
# An arrive-by trip is planned to be picked up this long before its appointment: direct
# drive x factor + buffer, as dispatchers pad for traffic (the history's rule too).
ARRIVE_BY_FACTOR = 1.3
ARRIVE_BY_BUFFER_S = 900.0


def committed_trips(v: VehicleView) -> list[str]:
    """Riders the vehicle carries once its current task is done."""
    riders = list(v.on_board)
    if (
        v.current is not None
        and v.current.kind == TaskKind.PICKUP
        and v.current.trip_id not in riders
    ):
        riders.append(v.current.trip_id)  # on its way, or waiting at the door
    if v.current is not None and v.current.kind == TaskKind.DROPOFF:
        riders.remove(v.current.trip_id)
    return riders


def next_free_s(view: SimView, v: VehicleView, estimator: TravelEstimator) -> float:
    """When the vehicle will be done with its current task, by the policy's estimate."""
    now = view.now
    if v.current is None:
        return max(now, v.vehicle.shift_start_s)
    if v.driving_since_s is None or v.driving_from is None:
        return max(v.busy_until_s or now, now)
    arrive = v.driving_since_s + estimator.seconds(v.driving_from, v.node, v.driving_since_s)
    trip = view.trip(v.current.trip_id)
    if v.current.kind == TaskKind.PICKUP:
        return max(arrive, now, view.ready_from(trip.trip_id)) + trip.board_s
    return max(arrive, now) + trip.alight_s


class _PlannedPickups:
    """Each trip's planned pickup: its ready time, or padded back from its appointment."""

    def __init__(self, estimator: TravelEstimator) -> None:
        self.estimator = estimator
        self._planned: dict[str, float] = {}

    def __call__(self, view: SimView, trip_id: str) -> float:
        if trip_id not in self._planned:
            trip = view.trip(trip_id)
            if trip.ready_s is not None:
                planned = trip.ready_s
            else:
                appointment = trip.appointment_s or 0.0
                direct = self.estimator.seconds(trip.pickup, trip.dropoff, appointment - 3600)
                planned = max(
                    view.ready_from(trip_id),
                    appointment - direct * ARRIVE_BY_FACTOR - trip.board_s - ARRIVE_BY_BUFFER_S,
                )
            self._planned[trip_id] = planned
        return self._planned[trip_id]


@dataclass
class _Free:
    """Where and when a vehicle's queue is estimated to end."""

    at_s: float
    node: int


@dataclass(eq=False)
class _Policy:
    """What every policy shares: a name, a tick, its travel estimates; hooks doing nothing.

    Subclasses state their ``kind`` and their options as keyword-only fields, and say in
    :meth:`_tick` how often they want to be called.
    """

    estimator: TravelEstimator
    kind: ClassVar[str] = ""
    name: str = field(init=False)
    tick_s: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"{self.kind}/{self.estimator.label}"
        self.tick_s = self._tick()

    def _tick(self) -> float | None:
        """Seconds between two ticks (None: no ticks)."""
        return None

    def estimate(self, origin: int, dest: int, depart_s: float) -> float:
        """Predicted seconds of a drive."""
        return self.estimator.seconds(origin, dest, depart_s)

    def start(self, view: SimView) -> None:
        """Nothing is planned ahead."""

    def on_booking(self, view: SimView, trip_id: str) -> None:
        """Bookings wait for the next decision."""

    def on_cancel(self, view: SimView, trip_id: str) -> None:
        """The engine takes the trip out of its vehicle's queue."""

    def on_idle(self, view: SimView, vehicle_id: str) -> None:
        """Idle vehicles are used at the next decision."""

    def on_tick(self, view: SimView) -> None:
        """Nothing happens on the clock."""


@dataclass(eq=False)
class GreedyPolicy(_Policy):
    """Nearest free compatible vehicle, first come first served."""

    kind: ClassVar[str] = "greedy"
    _: KW_ONLY
    lead_s: float = 2700.0
    give_up_s: float = 7200.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._planned = _PlannedPickups(self.estimator)
        self._free: dict[str, _Free] = {}

    def _tick(self) -> float | None:
        """Every minute."""
        return 60.0

    def on_booking(self, view: SimView, trip_id: str) -> None:
        """Dispatch what is due."""
        self._dispatch(view)

    def on_idle(self, view: SimView, vehicle_id: str) -> None:
        """The vehicle is free here and now."""
        self._free.pop(vehicle_id, None)
        self._dispatch(view)

    def on_tick(self, view: SimView) -> None:
        """Dispatch what is due."""
        self._dispatch(view)

    def _dispatch(self, view: SimView) -> None:
        assigned = view.assigned()
        due = sorted(
            (self._planned(view, t), t)
            for t in view.waiting()
            if t not in assigned and self._planned(view, t) - self.lead_s <= view.now
        )
        vehicles = {v.vehicle_id: v for v in view.vehicles() if not v.off_duty}
        queues = {k: list(v.pending) for k, v in vehicles.items()}
        for planned, trip_id in due:
            best = self._choose(view, list(vehicles.values()), queues, trip_id, planned)
            if best is None:
                if view.now > planned + self.give_up_s:
                    view.reject(trip_id, "no compatible vehicle free in time")
                continue
            vehicle, free, to_pickup = best
            trip = view.trip(trip_id)
            queues[vehicle.vehicle_id] += [
                Task(trip_id, TaskKind.PICKUP, planned),
                Task(trip_id, TaskKind.DROPOFF),
            ]
            view.assign(vehicle.vehicle_id, queues[vehicle.vehicle_id])
            picked = max(free.at_s + to_pickup, planned, view.ready_from(trip_id))
            ride = self.estimator.seconds(trip.pickup, trip.dropoff, picked)
            self._free[vehicle.vehicle_id] = _Free(
                picked + trip.board_s + ride + trip.alight_s, trip.dropoff
            )

    def _choose(
        self,
        view: SimView,
        vehicles: list[VehicleView],
        queues: dict[str, list[Task]],
        trip_id: str,
        planned: float,
    ) -> tuple[VehicleView, _Free, float] | None:
        """The vehicle that can be at the pickup first, its free estimate and drive there.

        ``queues`` are the vehicles' pending tasks as this round has left them.
        """
        trip = view.trip(trip_id)
        best: tuple[float, float, int, VehicleView, _Free] | None = None
        for k, v in enumerate(vehicles):
            kind = v.vehicle.vehicle_type
            if not kind.can_carry(trip.mobility, trip.escorts):
                continue
            free = self._free_of(view, v, queues[v.vehicle_id])
            start = max(free.at_s, planned)
            if v.vehicle.shift_start_s > planned or start >= v.vehicle.shift_end_s - 1800:
                continue
            to_pickup = self.estimator.seconds(free.node, trip.pickup, free.at_s)
            key = (max(free.at_s + to_pickup, planned), to_pickup, k)
            if best is None or key < best[:3]:
                best = (*key, v, free)
        if best is None:
            return None
        return best[3], best[4], best[1]

    def _free_of(self, view: SimView, v: VehicleView, pending: list[Task]) -> _Free:
        if v.current is None and not pending:
            self._free.pop(v.vehicle_id, None)
            return _Free(max(view.now, v.vehicle.shift_start_s), v.node)
        if v.vehicle_id not in self._free:
            self._free[v.vehicle_id] = _Free(next_free_s(view, v, self.estimator), v.node)
        return self._free[v.vehicle_id]


@dataclass(eq=False)
class BatchPolicy(_Policy):
    """Every ``interval_s``: free vehicles matched to trips due soon, at least cost."""

    kind: ClassVar[str] = "batch"
    _: KW_ONLY
    interval_s: float = 120.0
    lead_s: float = 2700.0
    max_wait_s: float = 2700.0
    give_up_s: float = 7200.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._planned = _PlannedPickups(self.estimator)

    def _tick(self) -> float | None:
        """Every ``interval_s``."""
        return self.interval_s

    def on_tick(self, view: SimView) -> None:
        """Match the free vehicles to the trips due."""
        now = view.now
        assigned = view.assigned()
        due = []
        for trip_id in view.waiting():
            planned = self._planned(view, trip_id)
            if trip_id in assigned or planned - self.lead_s > now:
                continue
            if now > planned + self.give_up_s:
                view.reject(trip_id, "no vehicle matched in time")
            else:
                due.append(trip_id)
        free = [
            v
            for v in view.vehicles()
            if v.current is None
            and not v.pending
            and not v.off_duty
            and v.vehicle.shift_start_s <= now < v.vehicle.shift_end_s
        ]
        if not due or not free:
            return
        est = self.estimator
        result = match_now(
            [fleet_vehicle(est, v.vehicle, position=v.node) for v in free],
            [trip_request(est, view.trip(t)) for t in due],
            est.costs,
            est.moment(now),
            max_wait_s=self.max_wait_s,
            observations=est.forecast,
        )
        for a in result.assignments:
            planned = self._planned(view, a.request_id)
            view.assign(
                a.vehicle_id,
                [
                    Task(a.request_id, TaskKind.PICKUP, planned),
                    Task(a.request_id, TaskKind.DROPOFF),
                ],
            )


@dataclass(eq=False)
class ScheduledPolicy(_Policy):
    """The pre-booked day solved in advance; live insertion; re-optimised every so often."""

    kind: ClassVar[str] = "scheduled"
    _: KW_ONLY
    plan_s: float = 20.0
    reoptimise_every_s: float = 1800.0
    reoptimise_s: float = 2.0
    insert_s: float = 0.5
    lateness: Lateness = field(default_factory=Lateness)
    early_s: float = 300.0  # a pickup may start this long before its planned time
    solution_limit: int | None = None
    # drivers on a scheduled shift are paid whether they drive or not: idle vehicle time is
    # not priced, which also lets the day plan's on-time phase run on the ALNS (span cost
    # 1 before: on-time appointment 0.903 -> 0.936, riders per revenue hour 2.035 -> 2.159,
    # mean of the five seeds of benchmarks/simulation.py)
    span_cost: float = 0.0

    def _tick(self) -> float | None:
        """Every ``reoptimise_every_s``."""
        return self.reoptimise_every_s

    def start(self, view: SimView) -> None:
        """Plan every pre-booked trip on the whole fleet."""
        est = self.estimator
        waiting = view.waiting()
        if not waiting:
            return
        day = plan_day(
            [trip_request(est, view.trip(t)) for t in waiting],
            [fleet_vehicle(est, v) for v in view.world.fleet],
            est.costs,
            time_limit_s=self.plan_s,
            observations=est.forecast,
            lateness=self.lateness,
            solution_limit=self.solution_limit,
            span_cost=self.span_cost,
        )
        self._apply(view, day, {})

    def on_booking(self, view: SimView, trip_id: str) -> None:
        """Insert the new trip into the live routes (before any trip still waiting for room)."""
        self._replan(view, self.insert_s, improve=False, first=trip_id)

    def on_tick(self, view: SimView) -> None:
        """Re-optimise the rest of the day from where the vehicles are."""
        if view.waiting():
            self._replan(view, self.reoptimise_s)

    def _replan(
        self, view: SimView, seconds: float, *, improve: bool = True, first: str | None = None
    ) -> None:
        est = self.estimator
        live, current, committed = [], {}, {}
        for v in view.vehicles():
            if v.off_duty:
                continue
            riders = committed_trips(v)
            committed[v.vehicle_id] = riders
            live.append(live_vehicle(est, v, riders, next_free_s(view, v, est)))
            current[v.vehicle_id] = [t.trip_id for t in v.pending]
        riding = {t for riders in committed.values() for t in riders}
        on_duty = {v.type.name: v.type for v in live}.values()
        trips = sorted(riding)
        waiting = view.waiting()
        if first in waiting:  # requests left out are inserted in request order
            waiting.remove(first)
            waiting.insert(0, first)
        for trip_id in waiting:
            trip = view.trip(trip_id)
            if trip_id in riding:
                continue
            if any(t.can_carry(Mobility(trip.mobility), trip.escorts) for t in on_duty):
                trips.append(trip_id)
            else:  # the vehicles that could have are done for the day
                view.reject(trip_id, UnassignedReason.NO_COMPATIBLE_VEHICLE.value)
        if not live or not trips:
            return
        day = replan(
            [trip_request(est, view.trip(t)) for t in trips],
            live,
            est.costs,
            est.moment(view.now),
            current=current,
            time_limit_s=seconds,
            observations=est.forecast,
            lateness=self.lateness,
            solution_limit=self.solution_limit,
            improve=improve,
            span_cost=self.span_cost,
        )
        self._apply(view, day, committed)

    def _apply(self, view: SimView, day: DayPlan, committed: dict[str, list[str]]) -> None:
        """Routes become the vehicles' queues.

        A trip no vehicle can ever serve is declined with the reason; one left out for want
        of room or time waits for the next re-plan, which serves it late if need be.
        """
        riding = {t for riders in committed.values() for t in riders}
        waiting = set(view.waiting())
        for unassigned in day.unassigned:
            trip_id = unassigned.request_id
            if trip_id in waiting and trip_id not in riding and unassigned.reason in _NEVER:
                view.reject(trip_id, unassigned.reason.value)
        for route in day.routes:
            tasks = []
            riders = committed.get(route.vehicle_id, [])
            for stop in route.stops:
                if stop.request_id is None or (
                    stop.kind == StopKind.PICKUP and stop.request_id in riders
                ):
                    continue
                if stop.kind == StopKind.PICKUP:  # the rider was told this pickup time
                    start_s = self.estimator.seconds_of(stop.planned_start) - self.early_s
                    tasks.append(Task(stop.request_id, TaskKind.PICKUP, start_s))
                else:
                    tasks.append(Task(stop.request_id, TaskKind.DROPOFF))
            dropped = {t.trip_id for t in tasks if t.kind == TaskKind.DROPOFF}
            if set(riders) <= dropped:
                view.assign(route.vehicle_id, tasks)
