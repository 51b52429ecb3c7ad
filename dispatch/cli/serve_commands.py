"""``dispatch serve``: the HTTP service, configured by flags over ``DISPATCH_*`` variables."""

from __future__ import annotations

import argparse
import gc
import ipaddress

import uvicorn

from dispatch.api import ServiceSettings, ServiceState, create_app
from dispatch.exceptions import StoreError

from ._common import UsageError
from .default_model import default_model


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        settings = ServiceSettings.from_env().override(
            map=args.map,
            model=args.model,
            db=args.db,
            models_dir=args.models_dir,
            host=args.host,
            port=args.port,
            route_table_mb=args.route_table_mb,
            eta_workers=args.eta_workers,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if settings.model is None:
        settings = settings.override(model=str(default_model(settings.map)))
    state = ServiceState(settings)
    try:
        state.load()  # before listening: a bad map, model or database fails here, exit 2
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    _refuse_open_access(settings, state)
    try:
        app = create_app(settings, state)
    except ValueError as exc:
        state.close()
        raise UsageError(str(exc)) from None
    gc.freeze()  # graph, model and route table live as long as the process: never scan them
    print(f"serving on http://{settings.host}:{settings.port} (docs at /docs)", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _refuse_open_access(settings: ServiceSettings, state: ServiceState) -> None:
    """Refuse to listen beyond loopback when no one could be let in (no key, no OIDC)."""
    if _is_loopback(settings.host) or settings.oidc:
        return
    assert state.store is not None
    if not state.store.has_active_keys():
        state.close()
        msg = (
            f"refusing to serve on {settings.host}: no credentials are configured (create a key "
            "with `dispatch keys create --role admin --name NAME`, or set DISPATCH_OIDC_ISSUER, "
            "DISPATCH_OIDC_AUDIENCE and DISPATCH_OIDC_JWKS)"
        )
        raise UsageError(msg)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve``."""
    serve = commands.add_parser(
        "serve",
        help="run the HTTP service",
        description="Run the HTTP API. Each flag may also be set as DISPATCH_<FLAG> "
        "(DISPATCH_MAP, DISPATCH_MODEL, DISPATCH_DB, DISPATCH_MODELS_DIR, DISPATCH_HOST, "
        "DISPATCH_PORT, DISPATCH_ROUTE_TABLE_MB, DISPATCH_ETA_WORKERS); flags win.",
    )
    serve.add_argument("--map", help="map file (default: embedded Baltimore map)")
    serve.add_argument(
        "--model", help="model directory (default: the default model, trained on first use)"
    )
    serve.add_argument("--db", help="SQLAlchemy URL of the store (default: a SQLite file)")
    serve.add_argument("--models-dir", help="where retrained models are saved when promoted")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument(
        "--route-table-mb",
        type=float,
        help="memory for the table of every node pair's route features, built at start-up "
        "when the map fits (default 512; 0: search routes per request)",
    )
    serve.add_argument(
        "--eta-workers",
        type=int,
        help="processes answering /v1/eta batches on the other cores (default 2; 0: in the "
        "server process)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(handler=_cmd_serve)
