"""The history of promoted models: what was in service before each, and which were rolled back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    """Add ``previous_version`` and ``rolled_back_at`` to ``models``."""
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("previous_version", sa.String))
        batch.add_column(sa.Column("rolled_back_at", sa.String))
