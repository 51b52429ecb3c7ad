"""Dependencies of the routes: the loaded service state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .batching import EtaBatcher
from .errors import ApiError, FieldError
from .state import ServiceState


def get_state(request: Request) -> ServiceState:
    """The service state; 503 while the graph, model or store are not loaded."""
    state: ServiceState = request.app.state.service
    if not state.ready:
        raise ApiError(503, [FieldError(None, "the service is loading the graph and the model")])
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_batcher(request: Request) -> EtaBatcher:
    """The app's ETA batcher."""
    batcher: EtaBatcher = request.app.state.eta_batcher
    return batcher
