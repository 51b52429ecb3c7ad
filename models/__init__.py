"""Learned corrections to free-flow travel times (ETA models) and the trip-record schema."""

from .schema import REQUIRED_COLUMNS, TripRecord, WeatherCondition

__all__ = ["REQUIRED_COLUMNS", "TripRecord", "WeatherCondition"]
