"""``dispatch purge --before DATE``: remove the patient data of old finished trips."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time

from dispatch.api import Store
from dispatch.api.store import now_utc

from ._common import UsageError
from .store_option import add_store_option, store_settings


def _parse_cutoff(text: str, now: datetime) -> datetime:
    """A date (its midnight in UTC) or an ISO datetime (UTC if it names no offset), which
    must lie in the past."""
    try:
        cutoff = datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        try:
            cutoff = datetime.fromisoformat(text)
        except ValueError:
            msg = f"--before: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 datetime"
            raise UsageError(msg) from None
        if cutoff.tzinfo is None:
            cutoff = cutoff.replace(tzinfo=UTC)
    if cutoff > now:
        msg = f"--before: {text} is not in the past; only trips due before it are purged"
        raise UsageError(msg)
    return cutoff


def _cmd_purge(args: argparse.Namespace) -> int:
    now = now_utc()
    cutoff = _parse_cutoff(args.before, now)
    settings = store_settings(args)
    store = Store.open(settings.database_url())
    try:
        report = store.purge_before(
            cutoff, now=now, keys_before=now - settings.idempotency_ttl(), dry_run=args.dry_run
        )
    finally:
        store.close()
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {report.trips} finished trips due before {cutoff.isoformat()} from "
        f"{store.shown}: trips {report.trips}, idempotency_keys {report.idempotency_keys}, "
        f"predictions {report.predictions}, outcomes {report.outcomes} (coarsened), plans "
        f"{report.plans_deleted} deleted and {report.plans_coarsened} coarsened"
    )
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``purge``."""
    purge = commands.add_parser(
        "purge",
        help="remove the patient data of finished trips due before a date",
        description="Remove the rider, places and booking answers of finished trips "
        "(completed, cancelled, no-show) due before DATE, keep their outcomes for retraining "
        "with both ends moved to about 1 km cells, delete superseded plans made before DATE "
        "and expired idempotency records (DISPATCH_IDEMPOTENCY_TTL_H). Open trips and trips "
        "under way are never touched.",
    )
    purge.add_argument(
        "--before",
        required=True,
        metavar="DATE",
        help="a past date (YYYY-MM-DD, midnight UTC) or ISO 8601 datetime",
    )
    add_store_option(purge)
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would be removed; change nothing"
    )
    purge.set_defaults(handler=_cmd_purge)
