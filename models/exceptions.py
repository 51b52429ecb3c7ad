"""Errors raised by the models package; each names the field or file and the reason."""

from __future__ import annotations


class ModelsError(Exception):
    """Base class of every models error."""


class TripDataError(ModelsError, ValueError):
    """Trip data cannot be read: missing file or column, wrong types, unknown format."""


class ModelSchemaError(ModelsError, ValueError):
    """A saved model does not match the features this code computes, or is unreadable."""


class NotFittedError(ModelsError, ValueError, AttributeError):
    """A model was used before ``fit``."""


class MonitoringError(ModelsError, ValueError):
    """Monitoring, drift or promotion inputs are unusable: wrong length, type or values."""
