"""The schema of the store before Alembic: ``schema_version`` 1, kept by hand.

A store written by that code has exactly this schema, so it is stamped with this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None


def upgrade() -> None:
    """Create the tables (and the hand-kept version table, at 1)."""
    version = op.create_table("schema_version", sa.Column("version", sa.Integer, primary_key=True))
    op.bulk_insert(version, [{"version": 1}])
    op.create_table(
        "trips",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("called_at", sa.String),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
    )
    op.create_table(
        "vehicles",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("vehicle", sa.Text, nullable=False),
        sa.Column("position_at", sa.String),
        sa.Column("updated_at", sa.String, nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "models",
        sa.Column("version", sa.String, primary_key=True),
        sa.Column("path", sa.String, nullable=False),
        sa.Column("base_version", sa.String),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("promoted_at", sa.String, nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False),
        sa.Column("body_sha256", sa.String, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("vehicle_id", sa.String),
        sa.Column("recorded_at", sa.String, nullable=False),
    )
    op.create_index("ix_events_trip_id", "events", ["trip_id"])
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False),
        sa.Column("model_version", sa.String),
        sa.Column("departure", sa.String, nullable=False),
        sa.Column("p50_s", sa.Float, nullable=False),
        sa.Column("p90_s", sa.Float, nullable=False),
        sa.Column("free_flow_s", sa.Float, nullable=False),
        sa.Column("features", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_index("ix_predictions_trip_id", "predictions", ["trip_id"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trip_id", sa.String, sa.ForeignKey("trips.id"), nullable=False, unique=True),
        sa.Column("prediction_id", sa.Integer, sa.ForeignKey("predictions.id")),
        sa.Column("pickup_time", sa.String, nullable=False),
        sa.Column("origin_lat", sa.Float, nullable=False),
        sa.Column("origin_lon", sa.Float, nullable=False),
        sa.Column("dest_lat", sa.Float, nullable=False),
        sa.Column("dest_lon", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("observations", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String, nullable=False),
    )
