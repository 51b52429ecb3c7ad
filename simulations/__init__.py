"""Simulated NEMT worlds, their trip history, and whole days replayed under dispatch policies."""

from .exceptions import PolicyError, ScenarioError, SimulationError

__all__ = ["PolicyError", "ScenarioError", "SimulationError"]
