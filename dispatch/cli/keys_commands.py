"""``dispatch keys create|list|revoke``: the service's API keys, in its store."""

from __future__ import annotations

import argparse

from dispatch.api import Store
from dispatch.api.api_keys import create_key
from dispatch.api.identity import Role, parse_role
from dispatch.api.store import now_utc

from ._common import UsageError, print_table
from .store_option import add_store_option, store_settings


def _store(args: argparse.Namespace) -> Store:
    return Store.open(store_settings(args).database_url())


def _cmd_create(args: argparse.Namespace) -> int:
    try:
        role = parse_role(args.role)
    except ValueError as exc:
        raise UsageError(f"--role: {exc}") from None
    store = _store(args)
    try:
        new = create_key(store, args.name, role, args.vehicle)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        store.close()
    print(f"created key {new.row.id} ({new.row.name}, {new.row.role}); it is shown only once:")
    print(new.key)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        keys = store.keys()
    finally:
        store.close()
    rows = [
        [
            k.id,
            k.name,
            k.role,
            k.vehicle_id or "-",
            k.created_at.isoformat(timespec="seconds"),
            "-" if k.revoked_at is None else k.revoked_at.isoformat(timespec="seconds"),
        ]
        for k in keys
    ]
    print_table(["id", "name", "role", "vehicle", "created", "revoked"], rows)
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        row = store.revoke_key(args.key, now=now_utc())
    finally:
        store.close()
    if row is None:
        raise UsageError(f"no API key with id or name {args.key!r}")
    print(f"revoked key {row.id} ({row.name})")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``keys create``, ``keys list`` and ``keys revoke``."""
    keys = commands.add_parser("keys", help="manage the service's API keys")
    sub = keys.add_subparsers(dest="keys_command", required=True)
    store = argparse.ArgumentParser(add_help=False)
    add_store_option(store)
    create = sub.add_parser(
        "create", parents=[store], help="make a key and print it (once: only its hash is kept)"
    )
    create.add_argument("--role", required=True, help=f"one of {', '.join(Role)}")
    create.add_argument("--name", required=True, help="a unique name, e.g. the app or person")
    create.add_argument("--vehicle", help="the vehicle a driver key is bound to")
    create.set_defaults(handler=_cmd_create)
    listing = sub.add_parser("list", parents=[store], help="list the keys (never their secrets)")
    listing.set_defaults(handler=_cmd_list)
    revoke = sub.add_parser(
        "revoke", parents=[store], help="revoke a key (in effect within a second)"
    )
    revoke.add_argument("key", help="the key's id or name")
    revoke.set_defaults(handler=_cmd_revoke)
