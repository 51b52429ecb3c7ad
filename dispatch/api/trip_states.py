"""The states of a booked trip and the events that move it: names and the state table.

The values are the wire and store format (``"picked_up"`` ...). A booked trip starts
``booked``; a pickup, a dropoff or a no-show moves it along :data:`TRANSITIONS`, and only
an open trip (booked, not under way) may be cancelled, called or planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class BookingStatus(StrEnum):
    """Where a booked trip stands."""

    BOOKED = "booked"
    PICKED_UP = "picked_up"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class EventKind(StrEnum):
    """What happened to a trip, at a real time."""

    PICKED_UP = "picked_up"
    DROPPED_OFF = "dropped_off"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class Transition:
    """A move of a trip: the statuses it may start from and the status it leads to."""

    after: tuple[BookingStatus, ...]
    to: BookingStatus


OPEN = (BookingStatus.BOOKED,)
"""Statuses of a trip not under way yet: it is planned, and may be cancelled or called."""

TRANSITIONS: Mapping[EventKind, Transition] = MappingProxyType(
    {
        EventKind.PICKED_UP: Transition(OPEN, BookingStatus.PICKED_UP),
        EventKind.DROPPED_OFF: Transition((BookingStatus.PICKED_UP,), BookingStatus.COMPLETED),
        EventKind.NO_SHOW: Transition(OPEN, BookingStatus.NO_SHOW),
    }
)
"""The move each event makes."""

CANCEL = Transition(OPEN, BookingStatus.CANCELLED)
"""The move a cancellation makes."""

PICKUP_DONE = (BookingStatus.PICKED_UP, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
"""Statuses of a trip whose pickup stop is behind its vehicle."""

DROPOFF_DONE = (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
"""Statuses of a trip whose dropoff stop is behind its vehicle."""

FINISHED = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW)
"""Statuses a trip never leaves: its data may be purged once its day is old enough."""
