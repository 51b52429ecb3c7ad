"""``dispatch db upgrade``: bring the service's store to the latest schema."""

from __future__ import annotations

import argparse

from dispatch.api import Store

from .store_option import add_store_option, store_settings


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    store = Store(store_settings(args).database_url())
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
    add_store_option(upgrade)
    upgrade.set_defaults(handler=_cmd_db_upgrade)
