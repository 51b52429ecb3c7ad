"""Dispatch decisions for non-emergency medical transport, and the ``dispatch`` command line."""

from .checker import CheckReport, Violation, check_plan
from .costs import CostProvider, TravelTimes, own_matrix
from .domain import (
    RECONFIGURABLE_VAN,
    SEDAN,
    STRETCHER_VAN,
    WHEELCHAIR_VAN,
    Location,
    Mobility,
    RideTimeRule,
    Route,
    SpaceLimit,
    Stop,
    StopKind,
    TripRequest,
    UnassignedReason,
    UnassignedTrip,
    Vehicle,
    VehicleType,
)
from .exceptions import (
    DispatchError,
    DomainError,
    DuplicateTripError,
    IdempotencyMismatchError,
    InstanceFormatError,
    PlanningError,
    StoreError,
)
from .matching import MatchResult, UnmatchedReason, match
from .on_demand import Assignment, OnDemandResult, match_now
from .planner import DayPlan, insert_trip, plan_day
from .problem import PdpProblem, Plan
from .scheduling import SolveParams, reoptimize, schedule, solve_pdp

__all__ = [
    "RECONFIGURABLE_VAN",
    "SEDAN",
    "STRETCHER_VAN",
    "WHEELCHAIR_VAN",
    "Assignment",
    "CheckReport",
    "CostProvider",
    "DayPlan",
    "DispatchError",
    "DomainError",
    "DuplicateTripError",
    "IdempotencyMismatchError",
    "InstanceFormatError",
    "Location",
    "MatchResult",
    "Mobility",
    "OnDemandResult",
    "PdpProblem",
    "Plan",
    "PlanningError",
    "RideTimeRule",
    "Route",
    "SolveParams",
    "SpaceLimit",
    "Stop",
    "StopKind",
    "StoreError",
    "TravelTimes",
    "TripRequest",
    "UnassignedReason",
    "UnassignedTrip",
    "UnmatchedReason",
    "Vehicle",
    "VehicleType",
    "Violation",
    "check_plan",
    "insert_trip",
    "match",
    "match_now",
    "own_matrix",
    "plan_day",
    "reoptimize",
    "schedule",
    "solve_pdp",
]
