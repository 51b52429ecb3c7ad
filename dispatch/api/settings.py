"""Service settings: flags of ``dispatch serve`` or ``DISPATCH_*`` environment variables.

The only place that reads the environment for the service; the app receives a
:class:`ServiceSettings` so that tests build apps with their own settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path

import platformdirs

import routing

ENV_PREFIX = "DISPATCH_"
_KINDS: dict[str, type] = {
    "port": int,
    "eta_workers": int,
    "max_snap_m": float,
    "route_table_mb": float,
    "max_body_bytes": int,
    "window_past_days": float,
    "window_ahead_days": float,
    "event_max_age_h": float,
    "clock_skew_s": float,
    "idempotency_ttl_h": float,
    "max_match_vehicles": int,
    "max_match_requests": int,
    "max_schedule_vehicles": int,
    "max_schedule_requests": int,
    "solver_workers": int,
    "solver_queue": int,
}
_NON_NEGATIVE = ("max_snap_m", "route_table_mb", "eta_workers", "clock_skew_s", "solver_queue")


def default_data_dir() -> Path:
    """Where the service keeps its database and promoted models unless told otherwise."""
    return Path(platformdirs.user_data_dir("nemt-dispatch"))


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service needs to start.

    Attributes
    ----------
    map
        Map file (OSM extract, GraphML or compiled .npz); None is the embedded Baltimore map.
    model
        Model directory (``models.save_model``); None serves free-flow times until a model
        is trained from stored outcomes (``POST /v1/model/retrain``).
    db
        SQLAlchemy URL of the store; None is a SQLite file in :func:`default_data_dir`.
    models_dir
        Folder of models promoted by retraining; None is ``models`` in the data folder.
    trusted_holdout
        Trips file (``models.read_trips``) a retrained candidate must do no worse on than
        the model in service; None is the holdout saved beside ``model`` at training time.
    host, port
        Where ``dispatch serve`` listens.
    max_snap_m
        Points farther than this from the road network are refused (422).
    route_table_mb
        Memory allowed for the route table (the route features of every node pair, computed
        at start-up so ETAs need no route search); a bigger map searches routes per request.
        0 disables it.
    eta_workers
        Processes answering ``/v1/eta`` batches, each with its own graph and route table,
        so that answers use every core; 0 answers them in a thread of the server process.
    max_body_bytes
        Request bodies larger than this are refused (413) before they are parsed.
    window_past_days, window_ahead_days
        The service window: booked times, will-call times and vehicle shifts lie within
        ``window_past_days`` before now and ``window_ahead_days`` after it (else 422).
    event_max_age_h, clock_skew_s
        Trip events and position reports are dated at most ``event_max_age_h`` hours ago
        and at most ``clock_skew_s`` seconds ahead of the server's clock (else 422).
    idempotency_ttl_h
        Hours an ``Idempotency-Key`` is remembered: a retry within them replays the first
        answer; later the key is forgotten (a re-sent booking of the same id is a 409).
    max_match_vehicles, max_match_requests, max_schedule_vehicles, max_schedule_requests
        The largest problems ``/v1/match`` and ``/v1/schedule`` take (else 422).
    solver_workers
        Child processes running solves (``/v1/match``, ``/v1/schedule``, plans, will-calls);
        a solver that crashes fails its own job only.
    solver_queue
        Solves that may wait for a worker; beyond them a solve is refused (503, Retry-After).
    rate_limit
        Requests a credential (or, without one, a client address) may make (``limits``
        notation, e.g. ``"600/minute"``); empty: no limit.
    oidc_issuer, oidc_audience, oidc_jwks
        Accept OAuth2/OIDC access tokens (JWTs) of this issuer for this audience, signed by
        a key of this JWKS (a file path or an https URL); all three or none.
    oidc_role_claim, oidc_vehicle_claim
        The claims holding a token's role and, for drivers, its vehicle (dotted paths).
    docs, metrics
        Who may read ``/docs`` and ``/openapi.json``, and ``/metrics``: ``off``, ``public``
        or comma-separated roles.
    """

    map: str | None = None
    model: str | None = None
    db: str | None = None
    models_dir: str | None = None
    trusted_holdout: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_snap_m: float = routing.DEFAULT_MAX_SNAP_M
    route_table_mb: float = 512.0
    eta_workers: int = 2
    max_body_bytes: int = 2**20
    window_past_days: float = 1.0
    window_ahead_days: float = 400.0
    event_max_age_h: float = 24.0
    clock_skew_s: float = 300.0
    idempotency_ttl_h: float = 24.0
    max_match_vehicles: int = 200
    max_match_requests: int = 500
    max_schedule_vehicles: int = 100
    max_schedule_requests: int = 1_000
    solver_workers: int = 1
    solver_queue: int = 8
    rate_limit: str = "600/minute"
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks: str | None = None
    oidc_role_claim: str = "role"
    oidc_vehicle_claim: str = "vehicle_id"
    docs: str = "admin,dispatcher,analyst"
    metrics: str = "admin,analyst"

    def __post_init__(self) -> None:
        for name in _NON_NEGATIVE:
            if not getattr(self, name) >= 0:
                msg = f"{name} must be a number >= 0, got {getattr(self, name)}"
                raise ValueError(msg)
        for name in set(_KINDS) - set(_NON_NEGATIVE) - {"port"}:
            if not getattr(self, name) > 0:
                msg = f"{name} must be a number > 0, got {getattr(self, name)}"
                raise ValueError(msg)
        oidc = {"issuer": self.oidc_issuer, "audience": self.oidc_audience, "jwks": self.oidc_jwks}
        missing = [f"{ENV_PREFIX}OIDC_{k.upper()}" for k, v in oidc.items() if not v]
        if 0 < len(missing) < len(oidc):
            msg = f"OIDC needs an issuer, an audience and a JWKS: set {', '.join(missing)}"
            raise ValueError(msg)

    @property
    def oidc(self) -> bool:
        """Whether OIDC access tokens are accepted."""
        return self.oidc_issuer is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Settings from ``DISPATCH_MAP``, ``DISPATCH_MODEL``, ``DISPATCH_DB``, ... variables."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is None or raw == "":
                continue
            kind = _KINDS.get(field.name, str)
            try:
                values[field.name] = kind(raw)
            except ValueError:
                msg = f"{ENV_PREFIX}{field.name.upper()} must be a {kind.__name__}, got {raw!r}"
                raise ValueError(msg) from None
        return cls(**values)  # type: ignore[arg-type]

    def override(self, **changes: object) -> ServiceSettings:
        """A copy with the given non-None values replaced (command-line flags over env)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    def idempotency_ttl(self) -> timedelta:
        """How long an ``Idempotency-Key`` is remembered."""
        return timedelta(hours=self.idempotency_ttl_h)

    def database_url(self) -> str:
        """The store's SQLAlchemy URL (default: ``sqlite:///<data dir>/dispatch.sqlite``)."""
        if self.db:
            return self.db
        return f"sqlite:///{default_data_dir() / 'dispatch.sqlite'}"

    def promoted_models_dir(self) -> Path:
        """Folder where retrained models that were promoted are saved."""
        return Path(self.models_dir) if self.models_dir else default_data_dir() / "models"
