"""CompiledTrees against LightGBM's own predictor, on both of its kernels."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from models import CompiledTrees


def _rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """A category below 64, a feature with zeros and missing values, and a plain one."""
    X = np.column_stack(
        [
            rng.integers(0, 40, n).astype(float),
            np.where(rng.random(n) < 0.3, 0.0, rng.normal(size=n)),
            rng.normal(size=n),
        ]
    )
    X[rng.random(n) < 0.1, 1] = np.nan
    X[rng.random(n) < 0.05, 2] = np.nan
    return X


@pytest.mark.parametrize(
    ("params", "plain"),
    [
        ({}, True),
        ({"zero_as_missing": True}, False),
        ({"categorical_feature": [0]}, False),
    ],
)
def test_compiled_trees_give_lightgbm_raw_scores(params: dict[str, object], plain: bool) -> None:
    """Bit-for-bit LightGBM's raw scores, rows in any order, on each kind of booster."""
    rng = np.random.default_rng(5)
    X = _rows(rng, 3000)
    y = np.where(X[:, 0] % 3 == 0, 2.0, -1.0) + np.nan_to_num(X[:, 1]) + np.sin(X[:, 2])
    categorical = params.pop("categorical_feature", "auto")
    data = lgb.Dataset(X, y, categorical_feature=categorical, params={"verbose": -1})  # type: ignore[arg-type]
    booster = lgb.train({"verbose": -1, "num_leaves": 15, **params}, data, num_boost_round=30)
    trees = CompiledTrees.from_booster(booster)
    assert trees.plain is plain
    fresh = _rows(rng, 1000)
    np.testing.assert_array_equal(trees.predict(fresh), booster.predict(fresh, raw_score=True))
    assert trees.predict(fresh[:0]).shape == (0,)


def test_rows_with_too_few_columns_are_refused() -> None:
    """The kernels do not check bounds, so rows narrower than the trees read are refused."""
    rng = np.random.default_rng(2)
    X = _rows(rng, 500)
    booster = lgb.train(
        {"verbose": -1, "num_leaves": 7},
        lgb.Dataset(X, np.nan_to_num(X[:, 2]) * 2.0),
        num_boost_round=5,
    )
    trees = CompiledTrees.from_booster(booster)
    with pytest.raises(ValueError, match="at least 3 columns"):
        trees.predict(X[:, :2])
