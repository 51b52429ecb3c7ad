"""The store's schema history: Alembic revisions in ``versions/``, applied from code.

Each file of ``versions/`` is one schema change, written by hand and chained to the one
before by ``revision`` and ``down_revision`` (on SQLite, change tables inside
``op.batch_alter_table``). Migrations go forward only: restore a backup to go back. There
is no ``alembic.ini``: :func:`upgrade` builds Alembic's configuration and runs ``env.py``
on the caller's connection, inside the caller's transaction, so a failed upgrade changes
nothing.

A store written before Alembic has a ``schema_version`` table holding 1 and exactly the
schema of the first revision: it counts as that revision and is stamped with it on upgrade.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from ...exceptions import StoreError

_FOLDER = Path(__file__).parent
_PRE_ALEMBIC = {1: "0001"}  # hand-kept schema_version -> the revision of that schema
_UPGRADE_LOCK = 0x6E656D74  # PostgreSQL advisory lock key: one upgrade at a time


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(_FOLDER))


def head() -> str:
    """The latest revision."""
    revision = _script().get_current_head()
    assert revision is not None, "versions/ holds the revisions"
    return revision


def current(conn: Connection) -> str | None:
    """The store's revision; None when it is empty.

    Raises :class:`StoreError` for a revision this code does not know (a newer version of
    dispatch upgraded the store) and for a pre-Alembic version other than 1.
    """
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        return _pre_alembic_revision(conn)
    if revision not in {script.revision for script in _script().walk_revisions()}:
        msg = (
            f"its schema revision {revision!r} is unknown to this version of dispatch (did a "
            "newer version upgrade it?)"
        )
        raise StoreError(msg)
    return revision


def _pre_alembic_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("schema_version"):
        return None
    versions = conn.execute(sa.text("SELECT version FROM schema_version")).scalars().all()
    if len(versions) == 1 and versions[0] in _PRE_ALEMBIC:
        return _PRE_ALEMBIC[versions[0]]
    msg = (
        f"it has the pre-Alembic schema version {versions}; this version of dispatch "
        f"migrates version {' or '.join(map(str, _PRE_ALEMBIC))} only"
    )
    raise StoreError(msg)


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Bring the store to the latest revision in the caller's transaction.

    Returns the revisions before and after. Concurrent upgrades queue: on SQLite behind the
    caller's ``BEGIN IMMEDIATE``, on PostgreSQL behind an advisory lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_UPGRADE_LOCK)))
    before = current(conn)
    config = Config()
    config.set_main_option("script_location", str(_FOLDER))
    config.attributes["connection"] = conn
    if before is not None and MigrationContext.configure(conn).get_current_revision() is None:
        command.stamp(config, before)  # a pre-Alembic store
    command.upgrade(config, "head")
    return before, head()
