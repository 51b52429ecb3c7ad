"""The trip-record schema: what a logged drive must say for the ETA model to learn from it.

One record is one drive between two points. Required: when it started (timezone-aware),
where it started and ended, and how long it took. Optional: what a provider could observe
at the start (weather, a city-wide congestion index), the vehicle type and an id. Data
sources may carry further columns (the simulated history adds ``free_flow_s``,
``distance_m``, ``leg_kind``, ``vehicle_id``, ``day``); they are kept, not validated.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

WeatherCondition = Literal["clear", "cloudy", "rain", "snow"]

REQUIRED_COLUMNS = (
    "pickup_time",
    "origin_lat",
    "origin_lon",
    "dest_lat",
    "dest_lon",
    "duration_s",
)


class TripRecord(BaseModel):
    """One observed drive (see the module docstring)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    pickup_time: AwareDatetime = Field(description="start of the drive, timezone-aware")
    origin_lat: float = Field(ge=-90, le=90)
    origin_lon: float = Field(ge=-180, le=180)
    dest_lat: float = Field(ge=-90, le=90)
    dest_lon: float = Field(ge=-180, le=180)
    duration_s: float = Field(gt=0, description="actual driving time in seconds")
    trip_id: str | None = None
    precipitation_mm: float | None = Field(default=None, ge=0, description="mm in the hour")
    snow: bool | None = None
    temperature_c: float | None = Field(default=None, ge=-60, le=60)
    weather_condition: WeatherCondition | None = None
    congestion_index: float | None = Field(default=None, gt=0, description="1 = free flow")
    vehicle_type: str | None = None
