"""Riders and the trips they book: standing dialysis orders, appointments, returns, same-day.

Shares and rates are set in :class:`DemandParams`; the defaults follow what NEMT brokers
report for Medicaid transport: roughly a third of trips are standing dialysis orders,
most riders are ambulatory, a third use a wheelchair, a few need a stretcher; about half of
the returns from appointments are will-calls; a few percent are no-shows or late
cancellations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from .places import Facility

MOBILITIES = ("ambulatory", "wheelchair", "stretcher")
TRIP_KINDS = ("standing", "appointment", "scheduled_return", "will_call_return", "same_day")


@dataclass(frozen=True)
class DemandParams:
    """Rates and shares of the demand (times in hours of the day unless named otherwise)."""

    riders: int | None = None  # the population booking rides; None: per vehicle of the fleet
    riders_per_vehicle: float = 20.0
    mobility_shares: tuple[float, float, float] = (0.62, 0.30, 0.08)
    escort_share: float = 0.12
    dialysis_share: float = 0.30
    dialysis_chair_hours: tuple[float, ...] = (6.0, 10.5, 15.0)
    dialysis_session_h: float = 4.0
    appointments_per_rider_weekday: float = 0.16
    weekend_appointment_scale: float = 0.1
    appointment_hours: tuple[float, float] = (8.0, 15.5)
    appointment_duration_h: tuple[float, float] = (0.5, 2.0)
    will_call_share: float = 0.55
    will_call_delay_mean_min: float = 20.0
    same_day_share: float = 0.10
    same_day_hours: tuple[float, float] = (8.0, 16.0)
    no_show_rate: float = 0.04
    late_cancel_rate: float = 0.03
    board_s: tuple[float, float, float] = (60.0, 300.0, 600.0)
    alight_s: tuple[float, float, float] = (60.0, 240.0, 480.0)


@dataclass(frozen=True)
class Rider:
    """A person who books rides: home node, mobility need, escorts, standing order if any."""

    rider_id: str
    home: int
    mobility: str
    escorts: int
    dialysis_days: tuple[int, ...]
    dialysis_chair_s: float
    dialysis_facility: int


@dataclass(frozen=True)
class Trip:
    """One requested one-way ride; ``kind`` is one of :data:`TRIP_KINDS`.

    ``appointment_s`` (arrive-by) is set for trips to an appointment, ``ready_s`` (pick up
    from) for returns and same-day trips; times are seconds after midnight of the day.
    ``booked_s`` is when the request became known (negative: booked on an earlier day).
    """

    trip_id: str
    rider_id: str
    kind: str
    pickup: int
    dropoff: int
    mobility: str
    escorts: int
    booked_s: float
    ready_s: float | None
    appointment_s: float | None
    board_s: float
    alight_s: float
    no_show: bool
    cancelled: bool


def make_riders(
    homes: NDArray[np.int32],
    facilities: list[Facility],
    n_riders: int,
    params: DemandParams,
    rng: np.random.Generator,
) -> list[Rider]:
    """A population of riders living at residential nodes."""
    riders = []
    for k in range(n_riders):
        on_dialysis = rng.random() < params.dialysis_share
        riders.append(
            Rider(
                rider_id=f"R{k + 1:05d}",
                home=int(rng.choice(homes)),
                mobility=MOBILITIES[int(rng.choice(3, p=params.mobility_shares))],
                escorts=int(rng.random() < params.escort_share),
                dialysis_days=((0, 2, 4) if rng.random() < 0.5 else (1, 3, 5))
                if on_dialysis
                else (),
                dialysis_chair_s=float(rng.choice(params.dialysis_chair_hours)) * 3600,
                dialysis_facility=facilities[int(rng.integers(len(facilities)))].node,
            )
        )
    return riders


def trips_for_day(
    day: int,
    day_date: date,
    riders: list[Rider],
    facilities: list[Facility],
    params: DemandParams,
    rng: np.random.Generator,
) -> list[Trip]:
    """Every trip requested for one day, in booking order of generation."""
    weekday = day_date.weekday()
    builder = _DayBuilder(day, params, rng)
    appointment_rate = params.appointments_per_rider_weekday * (
        params.weekend_appointment_scale if weekday >= 5 else 1.0
    )
    for rider in riders:
        if weekday in rider.dialysis_days:
            chair = rider.dialysis_chair_s
            builder.round_trip(
                rider,
                rider.dialysis_facility,
                chair,
                params.dialysis_session_h * 3600,
                "standing",
                will_call=False,
            )
        elif rng.random() < appointment_rate:
            facility = facilities[int(rng.integers(len(facilities)))].node
            at = _quarter_hour(rng.uniform(*params.appointment_hours))
            duration = rng.uniform(*params.appointment_duration_h) * 3600
            builder.round_trip(
                rider,
                facility,
                at,
                duration,
                "appointment",
                will_call=rng.random() < params.will_call_share,
            )
    n_same_day = rng.poisson(params.same_day_share * len(builder.trips))
    for _ in range(n_same_day):
        rider = riders[int(rng.integers(len(riders)))]
        facility = facilities[int(rng.integers(len(facilities)))].node
        builder.same_day(rider, facility, rng.uniform(*params.same_day_hours) * 3600)
    return builder.trips


class _DayBuilder:
    """Accumulates one day's trips with consistent ids, service times and cancellations."""

    def __init__(self, day: int, params: DemandParams, rng: np.random.Generator) -> None:
        self.day = day
        self.params = params
        self.rng = rng
        self.trips: list[Trip] = []

    def round_trip(
        self,
        rider: Rider,
        facility: int,
        appointment_s: float,
        duration_s: float,
        kind: str,
        *,
        will_call: bool,
    ) -> None:
        outbound = self._add(rider, kind, rider.home, facility, -3600.0, None, appointment_s)
        if outbound.no_show or outbound.cancelled:
            return
        ready = appointment_s + duration_s
        if will_call:
            call = ready + self.rng.exponential(self.params.will_call_delay_mean_min * 60)
            self._add(rider, "will_call_return", facility, rider.home, call, call, None)
        else:
            self._add(rider, "scheduled_return", facility, rider.home, -3600.0, ready, None)

    def same_day(self, rider: Rider, facility: int, booked_s: float) -> None:
        ready = booked_s + self.rng.uniform(30, 120) * 60
        self._add(rider, "same_day", rider.home, facility, booked_s, ready, None)

    def _add(
        self,
        rider: Rider,
        kind: str,
        pickup: int,
        dropoff: int,
        booked_s: float,
        ready_s: float | None,
        appointment_s: float | None,
    ) -> Trip:
        m = MOBILITIES.index(rider.mobility)
        trip = Trip(
            trip_id=f"D{self.day:03d}-T{len(self.trips) + 1:05d}",
            rider_id=rider.rider_id,
            kind=kind,
            pickup=pickup,
            dropoff=dropoff,
            mobility=rider.mobility,
            escorts=rider.escorts,
            booked_s=booked_s,
            ready_s=ready_s,
            appointment_s=appointment_s,
            board_s=self.params.board_s[m],
            alight_s=self.params.alight_s[m],
            no_show=bool(self.rng.random() < self.params.no_show_rate),
            cancelled=bool(self.rng.random() < self.params.late_cancel_rate),
        )
        self.trips.append(trip)
        return trip


def _quarter_hour(hour: float) -> float:
    """Seconds after midnight of ``hour`` rounded to a quarter hour."""
    return round(hour * 4) / 4 * 3600


def day_dates(start: date, days: int) -> list[date]:
    """Calendar dates of the simulated days."""
    return [start + timedelta(days=d) for d in range(days)]
