"""The store backends the tests run on: SQLite files and a throwaway PostgreSQL server.

The server is ``initdb`` into a new temporary folder, then ``pg_ctl start``; it listens
only on a unix socket in that folder, so each xdist worker runs its own with nothing to
collide on, and each test gets its own database (``conftest.store_url``). Durability is
off (``fsync``): the tests kill the service, never the database server. PostgreSQL
refuses to run as root, so under root the server runs as the ``postgres`` user (else
``nobody``), which owns the folder.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
"""Run a test on both store backends (the ``backend`` fixture of ``conftest``)."""

PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"
_INITDB_OPTIONS = ("--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
_SERVER_OPTIONS = "-c listen_addresses='' -c fsync=off -c full_page_writes=off"


def query(url: str, statement: str) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` read over a new connection to the store at ``url``, the way
    another process sees it."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(statement))]
    finally:
        engine.dispose()


def missing_programs() -> list[str]:
    """The PostgreSQL server programs that are not on PATH."""
    return [name for name in PROGRAMS if shutil.which(name) is None]


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as when this process is root (None: this process's)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    msg = "running as root and there is no postgres or nobody account to run PostgreSQL as"
    raise RuntimeError(msg)


class PostgresServer:
    """A running server in its own temporary folder; :meth:`stop` removes both."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="dispatch-pg-"))
        self._account = _server_account()
        if self._account is not None:
            os.chown(self.folder, self._account.pw_uid, self._account.pw_gid)
        self._data = self.folder / "data"
        self._log = self.folder / "server.log"
        self._names = itertools.count()
        try:
            self._run("initdb", "-D", str(self._data), "-U", SUPERUSER, *_INITDB_OPTIONS)
            options = f"{_SERVER_OPTIONS} -k {self.folder}"
            self._run(
                "pg_ctl", "start", "-w", "-D", str(self._data), "-l", str(self._log), "-o", options
            )
        except subprocess.CalledProcessError as exc:
            log = self._log.read_text() if self._log.exists() else ""
            self._remove()
            msg = f"PostgreSQL did not start: {exc.stderr}{log}"
            raise RuntimeError(msg) from exc
        self._admin = psycopg.connect(
            host=str(self.folder), user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def _run(self, *command: str) -> None:
        account = self._account
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            cwd=self.folder,
            user=None if account is None else account.pw_uid,
            group=None if account is None else account.pw_gid,
            extra_groups=None if account is None else [],
        )

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"test_{next(self._names)}"
        self._admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://{SUPERUSER}@/{name}?host={self.folder}"

    def drop_database(self, url: str) -> None:
        """Drop a database of :meth:`create_database` if it exists, closing its connections."""
        name = sa.make_url(url).database
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        self._admin.execute(query)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        self._admin.close()
        self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self._data))
        self._remove()

    def _remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
