"""Errors raised by the simulations package; each names the field or policy and the reason."""

from __future__ import annotations


class SimulationError(Exception):
    """Base class of every simulations error."""


class ScenarioError(SimulationError, ValueError):
    """A scenario, world, fleet or sweep setting is invalid; the message names it."""


class PolicyError(SimulationError, RuntimeError):
    """A policy asked for something the vehicles cannot do; the message says what."""
