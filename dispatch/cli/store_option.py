"""The ``--store`` option of the commands that work on the service's store directly."""

from __future__ import annotations

import argparse

from dispatch.api import ServiceSettings

from ._common import UsageError


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--store`` (alias ``--db``): the store's SQLAlchemy URL."""
    parser.add_argument(
        "--store",
        "--db",
        dest="store",
        metavar="URL",
        help="SQLAlchemy URL of the store (default: DISPATCH_DB, else the SQLite file "
        "`dispatch serve` uses)",
    )


def store_settings(args: argparse.Namespace) -> ServiceSettings:
    """The service settings of the environment with ``--store`` over them (UsageError if
    the environment holds an invalid setting)."""
    try:
        return ServiceSettings.from_env().override(db=args.store)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
