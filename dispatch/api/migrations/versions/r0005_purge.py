"""Retention: a purged trip is marked, and idempotency records are found by age."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    """Add ``trips.purged_at`` and index ``idempotency_keys.created_at``."""
    op.add_column("trips", sa.Column("purged_at", sa.String))
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
