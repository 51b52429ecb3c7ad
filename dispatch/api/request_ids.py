"""Request ids: one per request, in its ``X-Request-ID`` response header, its audit row and
the log of a 500 (given by :class:`~.audit.AuditMiddleware`)."""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

HEADER = "X-Request-ID"


def request_id(scope: MutableMapping[str, Any]) -> str:
    """The id of the request of ``scope``, made on first use and kept in its state."""
    state: dict[str, Any] = scope.setdefault("state", {})
    found = state.get("request_id")
    if found is None:
        found = state["request_id"] = uuid.uuid4().hex
    return str(found)
