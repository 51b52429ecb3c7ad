"""The revisions, one schema change each, chained by ``revision`` and ``down_revision``."""
