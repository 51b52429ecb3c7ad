"""Undo the latest promotion: put the model it replaced back in service.

The store keeps every promotion over the configured model with the version it replaced;
the promotions not rolled back form a stack whose top is in service (and is what a restart
loads). A rollback loads the model below the top (the configured one when the top is the
only promotion), then marks the top rolled back: the service and any later restart serve
the model below it.
"""

from __future__ import annotations

from models import ModelsError

from .errors import conflict
from .live_model import LiveModel
from .schemas import RollbackOut
from .state import ServiceState
from .store import now_utc


def roll_back(state: ServiceState) -> RollbackOut:
    """Put the model before the latest promotion back in service; 409 when there is none."""
    assert state.store is not None
    promoted = state.store.promotions(state.base_version)
    if not promoted:
        msg = "nothing to roll back to: no promoted model is in service (the configured one is)"
        raise conflict(None, msg)
    top = promoted[0]
    previous: LiveModel
    try:
        if len(promoted) > 1:
            previous = state.open_model(promoted[1].path)
        else:
            previous = state.configured_model()
    except ModelsError as exc:
        below = promoted[1].version if len(promoted) > 1 else "the configured model"
        msg = f"cannot roll back: {below} does not load ({exc.__class__.__name__}); nothing changed"
        raise conflict(None, msg) from None
    if not state.store.roll_back_model(top.version, now=now_utc()):
        raise conflict(None, f"model {top.version} was rolled back already")
    state.serve(previous)
    return RollbackOut(model_version=previous.version, rolled_back_version=top.version)
