"""Errors raised by the dispatch package; each names the field, id or file and the reason.

Every error derives from :class:`DispatchError` and from the builtin it refines, so callers
may catch either. The command line maps :class:`DispatchError` to exit code 2 and the HTTP
service maps each class to its status in ``dispatch.api.errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path


class DispatchError(Exception):
    """Base class of every dispatch error."""


class DomainError(DispatchError, ValueError):
    """Input that is valid object by object but impossible together; names the id and field."""


class PlanningError(DispatchError, ValueError):
    """A planning call cannot start: its arguments contradict each other (names the field)."""


class InstanceFormatError(DispatchError, ValueError):
    """An instance or BKS file cannot be read: it is missing or a line breaks the format.

    ``path``, ``line`` (1-based; ``None`` when the file as a whole is at fault) and
    ``reason`` say where and why; the message joins them.
    """

    def __init__(self, path: str | PathLike[str], line: int | None, reason: str) -> None:
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {reason}")
        self.path = Path(path)
        self.line = line
        self.reason = reason

    def __reduce__(self) -> tuple[type[InstanceFormatError], tuple[Path, int | None, str]]:
        return type(self), (self.path, self.line, self.reason)


class StoreError(DispatchError, RuntimeError):
    """The store cannot be used (another schema version, an unreachable database)."""


class DuplicateTripError(DispatchError, ValueError):
    """A trip with this id exists already (booked without the same idempotency key)."""


class DuplicateKeyError(DispatchError, ValueError):
    """An API key with this name exists already."""


class IdempotencyMismatchError(DispatchError, ValueError):
    """An idempotency key was reused with a different request body."""


class TripNotFoundError(DispatchError, LookupError):
    """No trip is stored under this id."""


class VehicleNotFoundError(DispatchError, LookupError):
    """No vehicle is registered under this id."""


class NoVehiclesError(DispatchError):
    """No vehicle is registered, so there is nothing to plan on."""


class _NamedFieldError(Exception):
    """An error about one input; ``field`` names it (``None``: the input as a whole)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field

    def __reduce__(self) -> tuple[type[_NamedFieldError], tuple[str, str | None]]:
        return type(self), (str(self), self.field)


class TripStateError(_NamedFieldError, DispatchError):
    """A trip's status forbids the operation (a completed trip cancelled, a call made twice)."""


class TripInputError(_NamedFieldError, DomainError):
    """A booking or an event contradicts the stored trips (a return of no booked trip, a
    dropoff timed before its pickup)."""


class OffMapError(DomainError):
    """Points lie farther from the road network than the snap limit.

    ``places`` pairs the field of each such point with the reason; the message joins them.
    """

    def __init__(self, places: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in places))
        self.places = list(places)

    def __reduce__(self) -> tuple[type[OffMapError], tuple[list[tuple[str, str]]]]:
        return type(self), (self.places,)


class SolverBusyError(DispatchError, RuntimeError):
    """Every solver is busy and the queue of waiting solves is full; ``retry_after_s`` says
    when to try again."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s

    def __reduce__(self) -> tuple[type[SolverBusyError], tuple[str, int]]:
        return type(self), (str(self), self.retry_after_s)


class SolverCrashedError(DispatchError, RuntimeError):
    """The process running a solve stopped (a native crash, killed, out of memory)."""
