"""Retire the hand-kept ``schema_version`` table: ``alembic_version`` says it now."""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Drop ``schema_version``."""
    op.drop_table("schema_version")
