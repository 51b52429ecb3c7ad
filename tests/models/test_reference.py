"""The drift reference saved beside a model: a bounded sample of its training features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import ModelSchemaError, load_reference, save_reference
from models.registry import REFERENCE_FILE, REFERENCE_ROWS


def test_reference_round_trip_is_a_bounded_sample(tmp_path: Path) -> None:
    """At most REFERENCE_ROWS rows of the given columns come back, with their values."""
    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        {"free_flow_s": rng.uniform(60, 900, REFERENCE_ROWS + 500), "hour": 8.0}
    )
    save_reference(tmp_path, features)
    loaded = load_reference(tmp_path)
    assert loaded is not None
    assert list(loaded.columns) == ["free_flow_s", "hour"]
    assert len(loaded) == REFERENCE_ROWS
    assert set(loaded["free_flow_s"]) <= set(features["free_flow_s"])


def test_missing_or_corrupt_reference(tmp_path: Path) -> None:
    """No reference file gives None; an unreadable one is a ModelSchemaError naming it."""
    assert load_reference(tmp_path) is None
    (tmp_path / REFERENCE_FILE).write_text("not parquet")
    with pytest.raises(ModelSchemaError, match=REFERENCE_FILE):
        load_reference(tmp_path)
