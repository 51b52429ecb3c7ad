"""Alembic's entry point: run the revisions on the connection :mod:`.` hands over.

Alembic executes this file for every command; the connection (in its caller's
transaction) arrives in ``config.attributes``, so no URL or ``alembic.ini`` is read here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes["connection"]
assert isinstance(connection, Connection)
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
