"""Request and response bodies of the HTTP API (version 1).

The domain types of :mod:`dispatch.domain` (``Location``, ``TripRequest``, ``Route``,
``UnassignedTrip``) are used as they are; these models only wrap them into requests and
answers, so that the wire format can evolve apart from the domain. A vehicle's ``type``
may be given by the name of a standard type (``"sedan"``, ``"wheelchair_van"``,
``"stretcher_van"``, ``"reconfigurable_van"``) instead of its full space limits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    with_config,
)
from pydantic.config import JsonDict
from typing_extensions import TypedDict

from ..domain import (
    ID_PATTERN,
    MAX_NAME_LENGTH,
    STANDARD_TYPES,
    Latitude,
    Location,
    Longitude,
    Route,
    TripRequest,
    UnassignedTrip,
    Vehicle,
    VehicleType,
)
from .trip_states import BookingStatus, EventKind

MAX_ETA_PAIRS = 10_000
MAX_REQUESTS = 2_000
MAX_VEHICLES = 500

_STANDARD = {t.name: t for t in STANDARD_TYPES}

BALTIMORE_A: JsonDict = {"lat": 39.2904, "lon": -76.6122}
BALTIMORE_B: JsonDict = {"lat": 39.2970, "lon": -76.5930}


def _standard_type(value: Any) -> Any:
    """A standard type's name becomes the type; anything else is validated as given."""
    if isinstance(value, str) and value in _STANDARD:
        return _STANDARD[value]
    return value


class _Body(BaseModel):
    """Base of the wire models: no unknown fields."""

    model_config = ConfigDict(extra="forbid")


class VehicleIn(Vehicle):
    """A vehicle as the API receives it: ``type`` may name a standard vehicle type."""

    type: Annotated[VehicleType, BeforeValidator(_standard_type)] = Field(
        description="a standard type's name, or the type with its space limits"
    )

    def to_domain(self) -> Vehicle:
        """The plain domain vehicle."""
        return Vehicle.model_validate(self.model_dump())


_VEHICLE_EXAMPLE: JsonDict = {
    "id": "van-1",
    "type": "wheelchair_van",
    "depot": BALTIMORE_A,
    "shift_start": "2026-03-02T07:00:00-05:00",
    "shift_end": "2026-03-02T17:00:00-05:00",
}
_REQUEST_EXAMPLE: JsonDict = {
    "id": "trip-1",
    "rider_id": "rider-1",
    "pickup": BALTIMORE_A,
    "dropoff": BALTIMORE_B,
    "mobility": "wheelchair",
    "appointment_at": "2026-03-02T09:30:00-05:00",
}


BOOKING_EXAMPLES = {
    "arrive-by": {
        "summary": "a wheelchair rider to a 09:30 appointment",
        "value": _REQUEST_EXAMPLE,
    },
    "will-call return": {
        "summary": "the return, picked up when the rider calls (ready from 11:00)",
        "value": {
            **_REQUEST_EXAMPLE,
            "id": "trip-1-return",
            "pickup": BALTIMORE_B,
            "dropoff": BALTIMORE_A,
            "appointment_at": None,
            "ready_at": "2026-03-02T11:00:00-05:00",
            "will_call": True,
            "return_of": "trip-1",
        },
    },
}
VEHICLE_EXAMPLES = {"wheelchair van": {"value": _VEHICLE_EXAMPLE}}


class Observations(_Body):
    """What a provider observes when a drive starts (the model's optional features)."""

    precipitation_mm: float | None = Field(default=None, ge=0, le=500, allow_inf_nan=False)
    snow: bool | None = None
    temperature_c: float | None = Field(default=None, ge=-60, le=60, allow_inf_nan=False)
    congestion_index: float | None = Field(default=None, gt=0, le=20, allow_inf_nan=False)
    weather_condition: Literal["clear", "cloudy", "rain", "snow"] | None = None

    def as_columns(self) -> dict[str, Any]:
        """The given observations as trip-record columns (``snow`` as 0.0 or 1.0)."""
        columns = self.model_dump(exclude_none=True)
        if "snow" in columns:
            columns["snow"] = float(columns["snow"])
        return columns


@with_config(ConfigDict(extra="forbid"))
class Point(TypedDict):
    """A point in WGS84 degrees, optionally named: a ``Location`` as ``/v1/eta`` reads it.

    ``/v1/eta`` is the busiest endpoint; its items are validated into plain dicts, three
    times faster than into models.
    """

    lat: Latitude
    lon: Longitude
    name: NotRequired[Annotated[str, Field(max_length=MAX_NAME_LENGTH)] | None]


@with_config(ConfigDict(extra="forbid"))
class EtaQuery(TypedDict):
    """One drive to estimate."""

    origin: Point
    destination: Point
    departure: AwareDatetime
    observations: NotRequired[Observations | None]


@with_config(
    ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "origin": BALTIMORE_A,
                            "destination": BALTIMORE_B,
                            "departure": "2026-03-02T08:15:00-05:00",
                        }
                    ]
                }
            ]
        },
    )
)
class EtaRequest(TypedDict):
    """A batch of drives."""

    items: Annotated[list[EtaQuery], Field(min_length=1, max_length=MAX_ETA_PAIRS)]


ETA_REQUEST = TypeAdapter(EtaRequest)


class EtaEstimate(BaseModel):
    """Median and P90 driving seconds, the free-flow seconds and the route's length."""

    p50_s: float
    p90_s: float
    free_flow_s: float
    distance_m: float


class EtaResponse(BaseModel):
    """One estimate per item, in order, and the model that made them (None: free flow)."""

    model_version: str | None
    estimates: list[EtaEstimate]


class RouteRequest(_Body):
    """A fastest route; with ``departure`` the model's P50 and P90 are added."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "origin": BALTIMORE_A,
                    "destination": BALTIMORE_B,
                    "departure": "2026-03-02T08:15:00-05:00",
                }
            ]
        }
    )

    origin: Location
    destination: Location
    departure: AwareDatetime | None = None
    observations: Observations | None = None


class LineString(BaseModel):
    """A GeoJSON LineString: ``[lon, lat]`` pairs."""

    type: Literal["LineString"] = "LineString"
    coordinates: list[tuple[float, float]]


class RouteResponse(BaseModel):
    """The fastest route under free flow: geometry, time and distance."""

    travel_time_s: float = Field(description="free-flow seconds along the route")
    distance_m: float
    p50_s: float | None = None
    p90_s: float | None = None
    model_version: str | None = None
    geometry: LineString


class MatchRequest(_Body):
    """Free vehicles (at ``position``, else the depot) and open requests, now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "vehicles": [_VEHICLE_EXAMPLE],
                    "requests": [
                        {
                            **_REQUEST_EXAMPLE,
                            "appointment_at": None,
                            "ready_at": "2026-03-02T08:00:00-05:00",
                        }
                    ],
                    "now": "2026-03-02T08:00:00-05:00",
                }
            ]
        }
    )

    vehicles: list[VehicleIn] = Field(max_length=MAX_VEHICLES)
    requests: list[TripRequest] = Field(max_length=MAX_REQUESTS)
    now: AwareDatetime
    max_wait_s: float = Field(default=1800.0, gt=0, le=86_400, allow_inf_nan=False)


class AssignmentOut(BaseModel):
    """A vehicle sent to a request and the predicted seconds to reach the pickup."""

    vehicle_id: str
    request_id: str
    seconds_to_pickup: float


class UnmatchedOut(BaseModel):
    """A request left unmatched and why."""

    request_id: str
    reason: str


class MatchResponse(BaseModel):
    """Assignments, and the unmatched requests with their reasons."""

    assignments: list[AssignmentOut]
    unmatched: list[UnmatchedOut]
    model_version: str | None


class ScheduleRequest(_Body):
    """A day's pre-booked requests, the fleet and the solver's time budget."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "requests": [_REQUEST_EXAMPLE],
                    "vehicles": [_VEHICLE_EXAMPLE],
                    "time_limit_s": 2,
                }
            ]
        }
    )

    requests: list[TripRequest] = Field(max_length=MAX_REQUESTS)
    vehicles: list[VehicleIn] = Field(min_length=1, max_length=MAX_VEHICLES)
    time_limit_s: float = Field(default=5.0, ge=0.1, le=300, allow_inf_nan=False)
    risk_aware: bool = Field(default=False, description="plan feasibility on P90 times")


class PlanOut(BaseModel):
    """Routes per vehicle and the trips left unassigned, each with a reason."""

    routes: list[Route]
    unassigned: list[UnassignedTrip]
    method: str
    solve_seconds: float
    model_version: str | None


class StoredPlanOut(PlanOut):
    """The current plan of the store, why it was made and when."""

    plan_id: int
    reason: str
    created_at: datetime


class PlanRequest(_Body):
    """Plan the stored open trips on the registered vehicles."""

    time_limit_s: float = Field(default=5.0, ge=0.1, le=300, allow_inf_nan=False)
    risk_aware: bool = False


class EventIn(_Body):
    """An outcome of a trip at the real time it happened."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "picked_up", "at": "2026-03-02T08:52:00-05:00"}]}
    )

    kind: EventKind
    at: AwareDatetime
    vehicle_id: str | None = Field(default=None, pattern=ID_PATTERN)
    observations: Observations | None = None


class EventOut(BaseModel):
    """A recorded event."""

    kind: EventKind
    at: datetime
    vehicle_id: str | None
    recorded_at: datetime


class PlannedOut(BaseModel):
    """Where the current plan has the trip: its vehicle, when the pickup starts (the
    vehicle may arrive earlier and wait), and the P90 arrival times at both stops."""

    vehicle_id: str
    pickup_start: datetime | None
    pickup_p90_arrival: datetime | None
    dropoff_arrival: datetime | None
    dropoff_p90_arrival: datetime | None


class TripOut(BaseModel):
    """A stored trip: the booking, its status, events and place in the current plan."""

    id: str
    status: BookingStatus
    request: TripRequest
    created_at: datetime
    updated_at: datetime
    called_at: datetime | None = None
    events: list[EventOut] = []
    planned: PlannedOut | None = None


class WillCallIn(_Body):
    """The rider is ready: the return's pickup window opens at ``ready_at`` (default: now)."""

    ready_at: AwareDatetime | None = None
    time_limit_s: float = Field(default=2.0, ge=0.1, le=60, allow_inf_nan=False)


class WillCallOut(BaseModel):
    """The called trip and the plan it was inserted into."""

    trip: TripOut
    plan_id: int
    unassigned_reason: str | None = None


class PositionIn(_Body):
    """Where a vehicle is, and when it was there."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"lat": 39.2904, "lon": -76.6122, "at": "2026-03-02T08:40:00-05:00"}]
        }
    )

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    at: AwareDatetime


class PositionOut(BaseModel):
    """Whether the position was stored (an older report than the last one is not)."""

    vehicle_id: str
    stored: bool
    position: Location | None


class MonitorOut(BaseModel):
    """The live rolling error of the model and its drift status."""

    reference: str
    n: int
    n_recorded: int
    mae_s: float | None
    bias_s: float | None
    mape: float | None
    p90_coverage: float | None
    baseline_mae_s: float | None
    error_ratio: float | None
    mae_by_hour: dict[int, float]
    psi: dict[str, float]
    error_alert: bool
    coverage_alert: bool
    drift_alert: bool
    drifted_features: list[str]
    status: str


class PromotionOut(BaseModel):
    """A promotion still in force: the version promoted, the one it replaced, and when."""

    version: str
    replaced_version: str | None
    promoted_at: str


class ModelOut(BaseModel):
    """The model in service: version, training window, metrics and live monitoring; the
    promotions in force (latest first) and the version a rollback would put back."""

    version: str | None
    source: str | None = Field(description="the model's folder name (never a server path)")
    created_at: str | None
    train_window: list[str] | None
    test_window: list[str] | None
    n_train: int | None
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    monitor: MonitorOut
    promotions: list[PromotionOut] = Field(
        description="retrained models promoted over the configured one and not rolled back, "
        "latest (the one in service) first"
    )
    rollback_to: str | None = Field(
        description="the version `POST /v1/model/rollback` would put back in service; null "
        "when nothing was promoted (409) or when it would go back to free-flow times"
    )


class RetrainIn(_Body):
    """Retrain on the stored outcomes: ``train_days`` before the last ``holdout_days``."""

    train_days: int = Field(default=28, ge=1, le=366)
    holdout_days: int = Field(default=2, ge=1, le=60)
    min_improvement: float = Field(default=0.0, ge=0, lt=1, allow_inf_nan=False)
    tolerance: float = Field(
        default=0.05,
        ge=0,
        le=0.25,
        allow_inf_nan=False,
        description="how much higher (a fraction) the candidate's MAE may be than the current "
        "model's on the trusted holdout",
    )


class RetrainOut(BaseModel):
    """The verdict: promoted or not, why, the numbers, and the model now in service."""

    promoted: bool
    reason: str
    model_version: str | None
    candidate_version: str | None
    decision: dict[str, Any]
    n_outcomes: int
    rejected: dict[str, int] = Field(
        description="stored outcomes not learnt from, by reason (implausible or unusable)"
    )


class RollbackOut(BaseModel):
    """The model now in service after a rollback, and the one taken out of service."""

    model_version: str | None
    rolled_back_version: str


class HealthOut(BaseModel):
    """Readiness: the graph and the model are loaded."""

    status: Literal["ready", "loading"]
    graph: str | None = None
    nodes: int | None = None
    model_version: str | None = None


class AuditRowOut(BaseModel):
    """One audited request: when, who, what, on which trip or vehicle, and the status."""

    at: datetime
    principal: str = Field(description="the API key's name or the token's subject")
    role: str | None = Field(description="None without a valid credential")
    action: str = Field(examples=["POST /v1/trips/{trip_id}/events"])
    object_id: str | None = Field(description="the trip or vehicle named, if any")
    outcome: int = Field(description="the HTTP status code of the answer")
    request_id: str


class AuditOut(BaseModel):
    """Rows of the audit log, oldest first."""

    rows: list[AuditRowOut]


class FieldErrorOut(BaseModel):
    """One problem: the dotted path of the field (None for the whole request) and why."""

    field: str | None
    reason: str


class ErrorsOut(BaseModel):
    """The body of every error response."""

    errors: list[FieldErrorOut]
