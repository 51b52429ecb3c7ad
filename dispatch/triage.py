"""Requests no vehicle of a fleet can serve, set aside before a plan is solved.

One impossible trip (a stretcher rider with no stretcher van on shift, a trip dated long
after every shift) must not fail the plan for everyone: :func:`set_aside` takes it out of
the problem and gives it its :class:`~dispatch.domain.UnassignedTrip` reason instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from .domain import (
    MAX_DURATION_S,
    TripRequest,
    UnassignedReason,
    UnassignedTrip,
    Vehicle,
)


def set_aside(
    requests: Sequence[TripRequest], vehicles: Sequence[Vehicle]
) -> tuple[list[TripRequest], list[UnassignedTrip]]:
    """The requests some vehicle could serve, and the others with their reasons."""
    types = {v.type.name: v.type for v in vehicles}.values()
    slack = timedelta(seconds=MAX_DURATION_S)
    first = min((v.shift_start for v in vehicles), default=None)
    last = max((v.shift_end for v in vehicles), default=None)
    kept: list[TripRequest] = []
    out: list[UnassignedTrip] = []
    for r in requests:
        when = r.ready_at or r.appointment_at
        if not any(t.can_carry(r.mobility, r.escorts) for t in types):
            known = ", ".join(sorted(t.name for t in types)) or "none"
            detail = (
                f"no vehicle has space for mobility={r.mobility.value} with "
                f"escorts={r.escorts} (vehicle types: {known})"
            )
            out.append(_unassigned(r, UnassignedReason.NO_COMPATIBLE_VEHICLE, detail))
        elif (
            first is None
            or last is None
            or when is None
            or not (first - slack <= when <= last + slack)
        ):
            detail = f"{when} lies far outside every vehicle's shift"
            out.append(_unassigned(r, UnassignedReason.WINDOW_UNREACHABLE, detail))
        else:
            kept.append(r)
    return kept, out


def _unassigned(request: TripRequest, reason: UnassignedReason, detail: str) -> UnassignedTrip:
    return UnassignedTrip(request_id=request.id, reason=reason, detail=detail)
