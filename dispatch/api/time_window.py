"""The times the service accepts: the service window for bookings and shifts, and "near
now" for events and position reports (both set in :class:`~.settings.ServiceSettings`).

A time outside raises :class:`~dispatch.exceptions.TripInputError` naming the field, before
anything is saved: a trip booked for the year 2300 or a position dated 9999 would
otherwise stay in the store and break every later plan or report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from ..domain import TripRequest, Vehicle
from ..exceptions import TripInputError
from .settings import ServiceSettings


def check_in_window(
    times: Iterable[tuple[str, datetime | None]], settings: ServiceSettings, now: datetime
) -> None:
    """Refuse a named time outside the service window around ``now``."""
    start = now - timedelta(days=settings.window_past_days)
    end = now + timedelta(days=settings.window_ahead_days)
    for field, at in times:
        if at is not None and not start <= at <= end:
            msg = (
                f"{at.isoformat()} is outside the service window, {start:%Y-%m-%d %H:%M} to "
                f"{end:%Y-%m-%d %H:%M} UTC"
            )
            raise TripInputError(msg, field=field)


def check_recent(field: str, at: datetime, settings: ServiceSettings, now: datetime) -> None:
    """Refuse an event or report dated too long ago or ahead of the server's clock."""
    oldest = now - timedelta(hours=settings.event_max_age_h)
    latest = now + timedelta(seconds=settings.clock_skew_s)
    if not oldest <= at <= latest:
        msg = (
            f"{at.isoformat()} is not near now: it must lie between {oldest:%Y-%m-%d %H:%M:%S} "
            f"and {latest:%Y-%m-%d %H:%M:%S} UTC"
        )
        raise TripInputError(msg, field=field)


def trip_times(trip: TripRequest, prefix: str = "") -> list[tuple[str, datetime | None]]:
    """A request's booked times, named by field."""
    return [(prefix + "ready_at", trip.ready_at), (prefix + "appointment_at", trip.appointment_at)]


def vehicle_times(vehicle: Vehicle, prefix: str = "") -> list[tuple[str, datetime | None]]:
    """A vehicle's shift and availability, named by field."""
    return [
        (prefix + "shift_start", vehicle.shift_start),
        (prefix + "shift_end", vehicle.shift_end),
        (prefix + "available_from", vehicle.available_from),
    ]
