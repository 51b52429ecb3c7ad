"""Request ids and the audit log: who wrote or read patient data, and what they got.

:class:`AuditMiddleware` gives every request an id (the ``X-Request-ID`` header of its
response; a 500 names it too) and, once the response is sent, appends a row to the
store's audit log for every write (any method but GET and HEAD) and every read of patient
data (GET of trips, the plan, vehicles and their manifests, and the audit log), refused
ones included: the principal (``anonymous`` without a valid credential), its role, the
method and path template, the trip or vehicle id the path names (or the ``Location`` of
a booking), the status and the request id. The stateless answers and the operational
endpoints are not audited (:data:`UNAUDITED`: no patient data is stored, and ``/v1/eta``
is the hot path), nor are requests refused before routing (413, 429, unknown paths): they
reached no endpoint, and a flood of them must stay cheap. The row is a separate short
transaction after the request's own; failing to write it is logged, and the answer stands.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .identity import Principal
from .request_ids import HEADER, request_id
from .state import ServiceState
from .store import AuditRow, now_utc

LOG = logging.getLogger("dispatch.api.audit")

ANONYMOUS = "anonymous"
UNAUDITED = frozenset(
    {"/health", "/metrics", "/docs", "/openapi.json", "/v1/eta", "/v1/route", "/v1/match"}
    | {"/v1/schedule", "/v1/model"}
)
"""Paths never audited: operations, documentation, stateless answers, the model's status
(``POST /v1/model/retrain`` is audited)."""
PATIENT_DATA = ("/v1/trips", "/v1/plan", "/v1/vehicles", "/v1/audit")
"""Paths whose reads are audited."""
_OBJECT_PARAMS = ("trip_id", "vehicle_id")
_MAX_ID_LENGTH = 128  # a path parameter refused as too long is cut in its audit row
_READS = frozenset({"GET", "HEAD"})
_HEADER_KEY = HEADER.lower().encode()


def audited(method: str, path: str) -> bool:
    """Whether a request to an endpoint (its path template) is audited."""
    if path in UNAUDITED:
        return False
    return method not in _READS or path.startswith(PATIENT_DATA)


def _object_id(scope: Scope, location: str | None) -> str | None:
    params: dict[str, Any] = scope.get("path_params") or {}
    for name in _OBJECT_PARAMS:
        if name in params:
            return str(params[name])[:_MAX_ID_LENGTH]
    if location is None:
        return None
    return unquote(urlsplit(location).path.rsplit("/", 1)[-1])[:_MAX_ID_LENGTH] or None


class AuditMiddleware:
    """ASGI middleware: a request id for every request, an audit row for the audited ones."""

    def __init__(self, app: ASGIApp, service: ServiceState) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its id; audit it once answered."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        status, location = 500, None

        async def send_with_id(message: Message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                named = dict(headers)
                location = named.get(b"location", b"").decode("latin-1") or None
                if _HEADER_KEY not in named:  # a 500 of .errors names it already
                    message["headers"] = [*headers, (_HEADER_KEY, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = getattr(scope.get("route"), "path", None)
            if path is not None and audited(scope["method"], path):
                row = self._row(scope, path, status, location, rid)
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._append, row)

    def _row(
        self, scope: Scope, path: str, status: int, location: str | None, rid: str
    ) -> AuditRow:
        principal: Principal | None = scope.get("state", {}).get("principal")
        return AuditRow(
            at=now_utc(),
            principal=ANONYMOUS if principal is None else principal.subject,
            role=None if principal is None else principal.role.value,
            action=f"{scope['method']} {path}",
            object_id=_object_id(scope, location),
            outcome=status,
            request_id=rid,
        )

    def _append(self, row: AuditRow) -> None:
        """Store the row; a failure is logged (by request id and action) and swallowed."""
        store = self.service.store
        if store is None:
            LOG.error("request %s: %s was not audited: no store yet", row.request_id, row.action)
            return
        try:
            store.append_audit(row)
        except Exception:  # the answer is sent: whatever failed, it stands
            LOG.exception("request %s: %s was not audited", row.request_id, row.action)
