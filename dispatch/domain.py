"""Domain types of NEMT dispatch: places, vehicles and their space, trip requests, routes.

Every model is a frozen pydantic v2 model that rejects unknown fields and round-trips
through JSON (``model_dump_json`` / ``model_validate_json``). A model checks its own fields
on construction and raises ``pydantic.ValidationError`` (a ``ValueError``) naming the field
and the reason. Rules that span objects are functions raising :class:`DomainError`:
:func:`validate_requests` (ids, returns, space needs against the fleet) and
:func:`check_on_map` (coordinates against the road graph).

Capacity is a set of limits over space types (:class:`SpaceLimit`), so a van whose seats
fold away for wheelchairs is expressible; :func:`capacity_dimensions` turns a fleet's
vehicle types into the linear capacity dimensions the solvers use.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, NamedTuple

import numpy as np
from numpy.typing import NDArray
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from routing import nearest_nodes
from routing.snapping import DEFAULT_MAX_SNAP_M

from .exceptions import DomainError

if TYPE_CHECKING:
    from routing import RoadGraph

MAX_ESCORTS = 4
MAX_SPACE_UNITS = 1_000
"""The most units of one kind of space a vehicle may have, or one rider may use."""
MAX_NAME_LENGTH = 200
"""The longest place name (an address or a clinic's name)."""
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
"""What an id may be: 1 to 64 letters, digits, ``.``, ``_``, ``:`` or ``-``."""

MAX_DURATION_S = 7 * 86_400.0
"""The longest window, ride or service time a request may give, in seconds."""

_Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S, allow_inf_nan=False)]
_Identifier = Annotated[str, Field(pattern=ID_PATTERN)]


class Mobility(StrEnum):
    """How a rider travels, which decides the space they take in a vehicle."""

    AMBULATORY = "ambulatory"
    WHEELCHAIR = "wheelchair"
    STRETCHER = "stretcher"


SERVICE_TIMES_S: Mapping[Mobility, tuple[float, float]] = MappingProxyType(
    {
        Mobility.AMBULATORY: (60.0, 60.0),
        Mobility.WHEELCHAIR: (300.0, 240.0),
        Mobility.STRETCHER: (600.0, 480.0),
    }
)
"""Default (boarding, alighting) seconds by mobility."""


class _DomainModel(BaseModel):
    """Base of the domain models: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class Location(_DomainModel):
    """A point in WGS84 degrees, optionally named (an address or a clinic)."""

    lat: Latitude
    lon: Longitude
    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)

    def same_place(self, other: Location) -> bool:
        """Whether both points have the same coordinates, whatever their names."""
        return (self.lat, self.lon) == (other.lat, other.lon)


class SpaceLimit(_DomainModel):
    """At most ``limit`` units of one kind of space; ``usage`` says what one rider uses.

    A mobility missing from ``usage`` uses none of this space; escorts ride as ambulatory
    riders. The same name must mean the same space in every vehicle type of a fleet.
    """

    name: _Identifier
    limit: int = Field(ge=0, le=MAX_SPACE_UNITS)
    usage: dict[Mobility, Annotated[int, Field(ge=0, le=MAX_SPACE_UNITS)]]

    def need(self, mobility: Mobility, escorts: int = 0) -> int:
        """Units of this space a rider of ``mobility`` with ``escorts`` companions uses."""
        if escorts < 0:
            msg = f"escorts must be >= 0, got {escorts}"
            raise ValueError(msg)
        ambulatory = self.usage.get(Mobility.AMBULATORY, 0)
        return self.usage.get(mobility, 0) + escorts * ambulatory


class VehicleType(_DomainModel):
    """A kind of vehicle and the limits on its space.

    A rider of a mobility that uses none of the type's limits cannot ride in it (a rider
    always takes some space), and neither can escorts if ambulatory riders use none.
    """

    name: _Identifier
    limits: tuple[SpaceLimit, ...] = Field(min_length=1, max_length=16)

    @model_validator(mode="after")
    def _unique_limit_names(self) -> VehicleType:
        repeated = sorted(n for n, c in Counter(lim.name for lim in self.limits).items() if c > 1)
        if repeated:
            msg = f"limits: names must be unique within a vehicle type, repeated: {repeated}"
            raise ValueError(msg)
        return self

    def takes_space(self, mobility: Mobility) -> bool:
        """Whether a rider of ``mobility`` uses any of this type's limits (can ride at all)."""
        return any(lim.usage.get(mobility, 0) > 0 for lim in self.limits)

    def usage(self, mobility: Mobility, escorts: int = 0) -> dict[str, int]:
        """Units one rider with ``escorts`` companions uses, by limit name."""
        return {lim.name: lim.need(mobility, escorts) for lim in self.limits}

    def can_carry(self, mobility: Mobility, escorts: int = 0) -> bool:
        """Whether one rider with ``escorts`` companions fits in an empty vehicle."""
        return self.fits([(mobility, escorts)])

    def fits(self, riders: Sequence[tuple[Mobility, int]]) -> bool:
        """Whether all ``riders`` (mobility, escorts) fit in the vehicle at once."""
        if any(
            not self.takes_space(mobility)
            or (escorts > 0 and not self.takes_space(Mobility.AMBULATORY))
            for mobility, escorts in riders
        ):
            return False
        return all(
            sum(lim.need(mobility, escorts) for mobility, escorts in riders) <= lim.limit
            for lim in self.limits
        )


SEDAN = VehicleType(
    name="sedan",
    limits=(SpaceLimit(name="seats", limit=3, usage={Mobility.AMBULATORY: 1}),),
)
WHEELCHAIR_VAN = VehicleType(
    name="wheelchair_van",
    limits=(
        SpaceLimit(name="seats", limit=4, usage={Mobility.AMBULATORY: 1}),
        SpaceLimit(name="wheelchair_positions", limit=2, usage={Mobility.WHEELCHAIR: 1}),
    ),
)
STRETCHER_VAN = VehicleType(
    name="stretcher_van",
    limits=(
        SpaceLimit(name="stretchers", limit=1, usage={Mobility.STRETCHER: 1}),
        SpaceLimit(name="seats", limit=1, usage={Mobility.AMBULATORY: 1}),
    ),
)
# Its seats are not the fixed "seats" of the other types (a wheelchair takes two of them),
# so they carry their own name: one name must mean one kind of space across a fleet.
RECONFIGURABLE_VAN = VehicleType(
    name="reconfigurable_van",
    limits=(
        SpaceLimit(
            name="convertible_seats",
            limit=6,
            usage={Mobility.AMBULATORY: 1, Mobility.WHEELCHAIR: 2},
        ),
        SpaceLimit(name="wheelchair_positions", limit=2, usage={Mobility.WHEELCHAIR: 1}),
    ),
)
STANDARD_TYPES = (SEDAN, WHEELCHAIR_VAN, STRETCHER_VAN, RECONFIGURABLE_VAN)


class CapacityDimensions(NamedTuple):
    """Linear capacity of a fleet: a rider's demand per dimension against limits per type.

    ``usage[i, d]`` is what one rider of the ``i``-th :class:`Mobility` (declaration order)
    uses in dimension ``d``; ``limits[t, d]`` is the ``t``-th given type's limit there.
    """

    names: tuple[str, ...]
    usage: NDArray[np.int64]
    limits: NDArray[np.int64]

    def demand(self, mobility: Mobility, escorts: int = 0) -> NDArray[np.int64]:
        """Demand per dimension of one rider with ``escorts`` ambulatory companions."""
        order = list(Mobility)
        demand: NDArray[np.int64] = (
            self.usage[order.index(mobility)]
            + escorts * self.usage[order.index(Mobility.AMBULATORY)]
        )
        return demand


def capacity_dimensions(types: Sequence[VehicleType]) -> CapacityDimensions:
    """One capacity dimension per distinct limit name of ``types``, in first-seen order.

    ``limits`` has one row per given type, so passing one type per vehicle gives the
    vehicles' capacity matrix. A type lacking a limit name gets limit 0 there when no
    rider it can carry uses that space (so the dimension also keeps incompatible riders
    out); otherwise it gets the most such riders could ever load there, a bound that never
    binds (a sedan lacks the reconfigurable van's ``convertible_seats``, yet carries the
    ambulatory riders who use them). Each type's own limits are thus reproduced exactly for
    the riders it can carry; which riders those are is :meth:`VehicleType.can_carry`.

    Raises :class:`DomainError` when two types give one limit name different usage: the
    same name must mean the same space (rename one of them).
    """
    usage_of: dict[str, tuple[SpaceLimit, VehicleType]] = {}
    for vtype in types:
        for lim in vtype.limits:
            first, owner = usage_of.setdefault(lim.name, (lim, vtype))
            if first.usage != lim.usage:
                msg = (
                    f"limit {lim.name!r} has usage {_show(first.usage)} in vehicle type "
                    f"{owner.name!r} but {_show(lim.usage)} in {vtype.name!r}; the same name "
                    "must mean the same space, so rename one of them"
                )
                raise DomainError(msg)
    names = tuple(usage_of)
    usage = np.array(
        [[usage_of[name][0].usage.get(m, 0) for name in names] for m in Mobility], dtype=np.int64
    )
    limits = np.array(
        [[_limit_in(vtype, name, usage[:, d]) for d, name in enumerate(names)] for vtype in types],
        dtype=np.int64,
    ).reshape(len(types), len(names))
    return CapacityDimensions(names, usage, limits)


def _limit_in(vtype: VehicleType, name: str, usage: NDArray[np.int64]) -> int:
    """``vtype``'s limit in dimension ``name`` whose usage per mobility is ``usage``."""
    for lim in vtype.limits:
        if lim.name == name:
            return lim.limit
    bound = 0
    for mobility, per_rider in zip(Mobility, usage.tolist(), strict=True):
        if per_rider and vtype.takes_space(mobility):
            most = min(
                lim.limit // lim.usage[mobility]
                for lim in vtype.limits
                if lim.usage.get(mobility, 0) > 0
            )
            bound += most * per_rider
    return bound


def _show(usage: Mapping[Mobility, int]) -> str:
    return "{" + ", ".join(f"{m.value}: {u}" for m, u in usage.items()) + "}"


class Vehicle(_DomainModel):
    """A vehicle of the fleet, its shift and, in live use, where it is and who is on board."""

    id: _Identifier
    type: VehicleType
    depot: Location
    shift_start: AwareDatetime
    shift_end: AwareDatetime
    position: Location | None = None
    on_board: tuple[_Identifier, ...] = Field(
        default=(), max_length=MAX_SPACE_UNITS, description="trip ids riding now"
    )
    completed_stops: int = Field(default=0, ge=0, description="stops of today's route done")
    available_from: AwareDatetime | None = None

    @model_validator(mode="after")
    def _check(self) -> Vehicle:
        if self.shift_end <= self.shift_start:
            msg = f"shift_end {self.shift_end} must be after shift_start {self.shift_start}"
            raise ValueError(msg)
        repeated = sorted(t for t, c in Counter(self.on_board).items() if c > 1)
        if repeated:
            msg = f"on_board: trip ids appear more than once: {repeated}"
            raise ValueError(msg)
        return self


class RideTimeRule(_DomainModel):
    """Default maximum ride time: ``a_s + b * direct_s`` seconds.

    ``b`` is at least 1, since no ride can be shorter than the direct drive.
    """

    a_s: _Seconds = 1200.0
    b: float = Field(default=1.5, ge=1, allow_inf_nan=False)

    def limit(self, direct_s: float) -> float:
        """Maximum ride seconds for a trip whose direct drive takes ``direct_s`` seconds."""
        if not (math.isfinite(direct_s) and direct_s >= 0):
            msg = f"direct_s must be finite and >= 0, got {direct_s}"
            raise ValueError(msg)
        return self.a_s + self.b * direct_s


DEFAULT_RIDE_TIME_RULE = RideTimeRule()


class TripRequest(_DomainModel):
    """One rider's trip, either ready-by (``ready_at``) or arrive-by (``appointment_at``).

    Ready-by: the pickup starts within ``[ready_at, ready_at + pickup_window_s]``; for a
    will-call, ``ready_at`` is the earliest the rider is expected to call. Arrive-by: the
    dropoff starts within ``[appointment_at - early_arrival_s, appointment_at]``.
    ``max_ride_s`` of None means the fleet's :class:`RideTimeRule`; ``board_s`` and
    ``alight_s`` default by mobility (:data:`SERVICE_TIMES_S`).
    """

    id: _Identifier
    rider_id: _Identifier
    pickup: Location
    dropoff: Location
    mobility: Mobility
    escorts: int = Field(default=0, ge=0, le=MAX_ESCORTS)
    ready_at: AwareDatetime | None = None
    pickup_window_s: _Seconds = 900.0
    appointment_at: AwareDatetime | None = None
    early_arrival_s: _Seconds = 1800.0
    max_ride_s: float | None = Field(default=None, gt=0, le=MAX_DURATION_S, allow_inf_nan=False)
    board_s: _Seconds = Field(default_factory=lambda data: SERVICE_TIMES_S[data["mobility"]][0])
    alight_s: _Seconds = Field(default_factory=lambda data: SERVICE_TIMES_S[data["mobility"]][1])
    return_of: _Identifier | None = Field(default=None, description="id of the outbound trip")
    will_call: bool = False
    priority: int = Field(default=3, ge=1, le=5)

    @model_validator(mode="after")
    def _check(self) -> TripRequest:
        if (self.ready_at is None) == (self.appointment_at is None):
            given = "both" if self.ready_at is not None else "neither"
            msg = (
                "exactly one of ready_at (pickup window) or appointment_at (arrive-by) "
                f"must be given, got {given}"
            )
            raise ValueError(msg)
        if self.pickup.same_place(self.dropoff):
            where = f"({self.pickup.lat}, {self.pickup.lon})"
            msg = f"dropoff is the pickup location {where}; a trip must go somewhere"
            raise ValueError(msg)
        if self.return_of == self.id:
            msg = f"return_of names the request itself ({self.id!r})"
            raise ValueError(msg)
        return self

    def pickup_window(self) -> tuple[datetime, datetime] | None:
        """When the pickup may start, for a ready-by trip; None for an arrive-by trip."""
        if self.ready_at is None:
            return None
        return self.ready_at, self.ready_at + timedelta(seconds=self.pickup_window_s)

    def dropoff_window(self) -> tuple[datetime, datetime] | None:
        """When the dropoff may start, for an arrive-by trip; None for a ready-by trip."""
        if self.appointment_at is None:
            return None
        return self.appointment_at - timedelta(seconds=self.early_arrival_s), self.appointment_at

    def ride_limit_s(self, direct_s: float, rule: RideTimeRule = DEFAULT_RIDE_TIME_RULE) -> float:
        """Maximum ride seconds: ``max_ride_s`` if given, else ``rule`` on the direct time."""
        return self.max_ride_s if self.max_ride_s is not None else rule.limit(direct_s)


def validate_requests(requests: Sequence[TripRequest], fleet_types: Iterable[VehicleType]) -> None:
    """Check requests against each other and the fleet; raise one :class:`DomainError` for all.

    Problems: duplicate ids; a space need (mobility with escorts) no vehicle type has; a
    return trip whose outbound is missing, or that starts before the outbound ends (its
    pickup window opens before the outbound's appointment or ready time).
    """
    types = list(fleet_types)
    problems = [
        f"request {rid!r}: id appears {count} times"
        for rid, count in Counter(r.id for r in requests).items()
        if count > 1
    ]
    by_id = {r.id: r for r in requests}
    for r in requests:
        if not any(t.can_carry(r.mobility, r.escorts) for t in types):
            known = ", ".join(t.name for t in types) or "none"
            problems.append(
                f"request {r.id!r}: mobility={r.mobility.value} with escorts={r.escorts} is a "
                f"space need no vehicle type has (types: {known})"
            )
        if r.return_of is None:
            continue
        outbound = by_id.get(r.return_of)
        if outbound is None:
            problems.append(f"request {r.id!r}: return_of={r.return_of!r} names no request")
            continue
        out_field, out_end = _end_of(outbound)
        field, start = _start_of(r)
        if start < out_end:
            problems.append(
                f"request {r.id!r}: {field} {start} is before the {out_field} {out_end} of its "
                f"outbound {outbound.id!r} (its pickup window opens before the outbound is over)"
            )
    if problems:
        raise DomainError("; ".join(problems))


def _start_of(request: TripRequest) -> tuple[str, datetime]:
    """A return trip's earliest pickup (ready-by) or its appointment (arrive-by), and the field."""
    if request.ready_at is not None:
        return "ready_at", request.ready_at
    assert request.appointment_at is not None  # one of both is set, by validation
    return "appointment_at", request.appointment_at


def _end_of(request: TripRequest) -> tuple[str, datetime]:
    """The time before which an outbound trip cannot be over, and the field it comes from."""
    if request.appointment_at is not None:
        return "appointment_at", request.appointment_at
    assert request.ready_at is not None  # one of both is set, by validation
    return "ready_at", request.ready_at


def check_on_map(
    items: Iterable[TripRequest | Vehicle],
    graph: RoadGraph,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> None:
    """Raise :class:`DomainError` naming every request or vehicle with a place off the map.

    Checks requests' ``pickup`` and ``dropoff`` and vehicles' ``depot`` and ``position``:
    each must lie within ``max_snap_m`` metres of a node of ``graph``.
    """
    places: list[tuple[str, str, Location]] = []
    for item in items:
        if isinstance(item, TripRequest):
            owner = f"request {item.id!r}"
            places += [(owner, "pickup", item.pickup), (owner, "dropoff", item.dropoff)]
        else:
            owner = f"vehicle {item.id!r}"
            places.append((owner, "depot", item.depot))
            if item.position is not None:
                places.append((owner, "position", item.position))
    if not places:
        return
    _, distance = nearest_nodes(
        graph,
        [loc.lat for _, _, loc in places],
        [loc.lon for _, _, loc in places],
        max_distance_m=math.inf,
        return_distance=True,
    )
    problems = [
        f"{owner}: {field} ({loc.lat:.6f}, {loc.lon:.6f}) is {far:,.0f} m from the road "
        f"network (limit {max_snap_m:g} m)"
        for (owner, field, loc), far in zip(places, distance.tolist(), strict=True)
        if far > max_snap_m
    ]
    if problems:
        raise DomainError("; ".join(problems))


class StopKind(StrEnum):
    """What happens at a stop."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"
    DEPOT = "depot"


class Stop(_DomainModel):
    """A planned stop: when the vehicle arrives (median and P90), starts service, and its load.

    ``load_after`` is the space in use when the vehicle leaves, by limit name.
    """

    request_id: _Identifier | None = None
    kind: StopKind
    location: Location
    planned_arrival: AwareDatetime
    planned_start: AwareDatetime
    p90_arrival: AwareDatetime
    load_after: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Stop:
        if self.kind is StopKind.DEPOT and self.request_id is not None:
            msg = "request_id must be None at a depot stop"
            raise ValueError(msg)
        if self.kind is not StopKind.DEPOT and self.request_id is None:
            msg = f"request_id is required at a {self.kind.value} stop"
            raise ValueError(msg)
        if self.planned_start < self.planned_arrival:
            msg = f"planned_start {self.planned_start} is before planned_arrival"
            raise ValueError(msg)
        if self.p90_arrival < self.planned_arrival:
            msg = f"p90_arrival {self.p90_arrival} is before planned_arrival"
            raise ValueError(msg)
        return self


class Route(_DomainModel):
    """A vehicle's ordered stops."""

    vehicle_id: _Identifier
    stops: tuple[Stop, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Route:
        for i in range(1, len(self.stops)):
            if self.stops[i].planned_arrival < self.stops[i - 1].planned_start:
                msg = f"stops[{i}].planned_arrival is before stops[{i - 1}].planned_start"
                raise ValueError(msg)
        return self


class UnassignedReason(StrEnum):
    """Why a request was left out of the plan (machine-readable)."""

    NO_COMPATIBLE_VEHICLE = "no_compatible_vehicle"
    WINDOW_UNREACHABLE = "window_unreachable"
    NO_CAPACITY_IN_TIME = "no_capacity_in_time"
    RIDE_TIME_IMPOSSIBLE = "ride_time_impossible"
    OUTCOMPETED = "outcompeted"
    BUDGET_EXHAUSTED = "budget_exhausted"


class UnassignedTrip(_DomainModel):
    """A request the plan does not serve, why (``reason``) and the details (``detail``)."""

    request_id: _Identifier
    reason: UnassignedReason
    detail: str
