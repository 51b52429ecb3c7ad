"""Service settings: flags of ``dispatch serve`` or ``DISPATCH_*`` environment variables.

The only place that reads the environment for the service; the app receives a
:class:`ServiceSettings` so that tests build apps with their own settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

import platformdirs

import routing

ENV_PREFIX = "DISPATCH_"
_KINDS = {"port": int, "eta_workers": int, "max_snap_m": float, "route_table_mb": float}


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
    host: str = "127.0.0.1"
    port: int = 8000
    max_snap_m: float = routing.DEFAULT_MAX_SNAP_M
    route_table_mb: float = 512.0
    eta_workers: int = 2
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks: str | None = None
    oidc_role_claim: str = "role"
    oidc_vehicle_claim: str = "vehicle_id"
    docs: str = "admin,dispatcher,analyst"
    metrics: str = "admin,analyst"

    def __post_init__(self) -> None:
        for name in ("max_snap_m", "route_table_mb", "eta_workers"):
            if not getattr(self, name) >= 0:
                msg = f"{name} must be a number >= 0, got {getattr(self, name)}"
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

    def database_url(self) -> str:
        """The store's SQLAlchemy URL (default: ``sqlite:///<data dir>/dispatch.sqlite``)."""
        if self.db:
            return self.db
        return f"sqlite:///{default_data_dir() / 'dispatch.sqlite'}"

    def promoted_models_dir(self) -> Path:
        """Folder where retrained models that were promoted are saved."""
        return Path(self.models_dir) if self.models_dir else default_data_dir() / "models"
