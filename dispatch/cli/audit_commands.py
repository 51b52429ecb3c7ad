"""``dispatch audit``: the service's audit log, from its store."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime

from dispatch.api import Store

from ._common import UsageError, print_table
from .store_option import add_store_option, store_settings


def _since(text: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time (UTC unless it names its zone)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"--since: {text!r} is not a date (2026-03-02) or an ISO 8601 time"
        raise UsageError(msg) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _cmd_audit(args: argparse.Namespace) -> int:
    since = _since(args.since)
    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    store = Store.open(store_settings(args).database_url())
    try:
        rows = store.audit_rows(since, args.limit)
    finally:
        store.close()
    if args.json:
        for row in rows:
            print(json.dumps({**asdict(row), "at": row.at.isoformat()}))
        return 0
    table = [
        [
            r.at.isoformat(timespec="seconds"),
            r.principal,
            r.role or "-",
            r.action,
            r.object_id or "-",
            r.outcome,
            r.request_id,
        ]
        for r in rows
    ]
    print_table(["time", "principal", "role", "action", "object", "outcome", "request"], table)
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``audit``."""
    audit = commands.add_parser(
        "audit",
        help="print the service's audit log",
        description="Print the audit log of the service's store, oldest first: who wrote "
        "or read patient data, the action, the trip or vehicle, and the HTTP status.",
    )
    audit.add_argument(
        "--since", required=True, metavar="DATE", help="a date or ISO 8601 time (UTC default)"
    )
    audit.add_argument("--limit", type=int, default=100, help="at most this many rows")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    add_store_option(audit)
    audit.set_defaults(handler=_cmd_audit)
