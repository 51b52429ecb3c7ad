"""``dispatch db upgrade``: bring the service's store to the latest schema."""

from __future__ import annotations

import argparse

from dispatch.api import ServiceSettings, Store

from ._common import UsageError


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    try:
        url = ServiceSettings.from_env().override(db=args.store).database_url()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    store = Store(url)
    try:
        before, after = store.upgrade()
    finally:
        store.close()
    if before == after:
        print(f"the store {store.shown} is at the latest schema revision, {after}")
    else:
        before_text = before or "none"
        print(f"upgraded the store {store.shown} from schema revision {before_text} to {after}")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``db upgrade``."""
    db = commands.add_parser("db", help="manage the service's store")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply the store's pending schema migrations",
        description="Apply the pending schema migrations (Alembic revisions shipped with "
        "dispatch) in one transaction. `dispatch serve` does this itself for a SQLite file; "
        "a PostgreSQL database must be upgraded with this command before serving.",
    )
    upgrade.add_argument(
        "--store",
        "--db",
        dest="store",
        metavar="URL",
        help="SQLAlchemy URL of the store (default: DISPATCH_DB, else the SQLite file "
        "`dispatch serve` uses)",
    )
    upgrade.set_defaults(handler=_cmd_db_upgrade)
