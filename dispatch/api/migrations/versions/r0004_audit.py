"""The audit log: who did what to which object, and the answer (append-only, no patient data)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    """Create ``audit_log``, indexed by time."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String, nullable=False, index=True),
        sa.Column("principal", sa.String, nullable=False),
        sa.Column("role", sa.String),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("object_id", sa.String),
        sa.Column("outcome", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String, nullable=False),
    )
