"""LightGBM trees as flat arrays, evaluated by a numba kernel: the same predictions, faster.

LightGBM's own predictor walks each row through every tree with a per-row set-up; for the
small trees of the ETA model (31 leaves) that set-up dominates. Here the trees of a
booster become arrays of nodes, and the kernel walks all rows through one tree before
the next, so each tree stays in cache: about twice as fast on batches of thousands of
rows. The walk is bound by mispredicted branches, so rows are walked in the order of the
two features the trees split on most (neighbouring rows then mostly take the same
branches), and boosters without categorical or zero-as-missing splits, the usual case,
take a kernel with one comparison per node: together about 20% faster on the ETA model.
Decisions follow LightGBM's exactly (missing values, zero-as-missing, categorical
bitsets) and trees are summed in LightGBM's order, so the raw scores are bit-for-bit the
same; boosters this module does not cover (categories of 64 and above, several trees
per iteration, linear trees, averaged output) are refused with :class:`ValueError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from numba import njit
from numpy.typing import NDArray

_MISSING = {"None": 0, "Zero": 1, "NaN": 2}
_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold, a float
_MAX_CATEGORY = 64  # categories as bits of one uint64
_NODE_DTYPES = {
    "feature": np.int32,
    "threshold": np.float64,
    "left": np.int32,
    "right": np.int32,
    "default_left": np.bool_,
    "missing": np.uint8,
    "categorical": np.bool_,
    "category_mask": np.uint64,
}


@dataclass(frozen=True, eq=False)
class CompiledTrees:
    """The nodes of all trees; a child ``c < 0`` is leaf ``-c - 1``."""

    roots: NDArray[np.int32]
    feature: NDArray[np.int32]
    threshold: NDArray[np.float64]
    left: NDArray[np.int32]
    right: NDArray[np.int32]
    default_left: NDArray[np.bool_]
    missing: NDArray[np.uint8]
    categorical: NDArray[np.bool_]
    category_mask: NDArray[np.uint64]
    leaf_value: NDArray[np.float64]
    nan_left: NDArray[np.bool_]
    """Where a missing value goes at each node (numerical splits)."""
    plain: bool
    """No categorical or zero-as-missing split: the one-comparison kernel applies."""
    order_features: tuple[int, ...]
    """The features the trees split on most, most first: the order rows are walked in."""
    n_features: int
    """Columns a row needs: one more than the highest feature index split on."""

    @classmethod
    def from_booster(cls, booster: lgb.Booster) -> CompiledTrees:
        """The trees of ``booster``; ValueError if it uses what the kernel does not cover."""
        model = booster.dump_model()
        if model["num_tree_per_iteration"] != 1 or model["average_output"]:
            msg = "only boosters with one tree per iteration and summed output are compiled"
            raise ValueError(msg)
        if model.get("pandas_categorical"):
            raise ValueError("boosters trained on pandas categorical columns are not compiled")
        nodes: dict[str, list[Any]] = {name: [] for name in _NODE_DTYPES}
        leaves: list[float] = []

        def add(node: dict[str, Any]) -> int:
            if "split_feature" not in node:
                if "leaf_coeff" in node:
                    raise ValueError("linear trees are not compiled")
                leaves.append(float(node["leaf_value"]))
                return -len(leaves)
            k = len(nodes["feature"])
            nodes["feature"].append(node["split_feature"])
            nodes["default_left"].append(node["default_left"])
            nodes["missing"].append(_MISSING[node["missing_type"]])
            if node["decision_type"] == "==":
                categories = [int(c) for c in str(node["threshold"]).split("||")]
                if max(categories) >= _MAX_CATEGORY:
                    msg = f"categories of {_MAX_CATEGORY} and above are not compiled"
                    raise ValueError(msg)
                nodes["categorical"].append(True)
                nodes["threshold"].append(0.0)
                nodes["category_mask"].append(sum(1 << c for c in categories))
            else:
                nodes["categorical"].append(False)
                nodes["threshold"].append(float(node["threshold"]))
                nodes["category_mask"].append(0)
            nodes["left"].append(0)
            nodes["right"].append(0)
            nodes["left"][k] = add(node["left_child"])
            nodes["right"][k] = add(node["right_child"])
            return k

        roots = [add(tree["tree_structure"]) for tree in model["tree_info"]]
        arrays: dict[str, NDArray[Any]] = {
            name: np.array(values, dtype=_NODE_DTYPES[name]) for name, values in nodes.items()
        }
        missing, threshold = arrays["missing"], arrays["threshold"]
        # NumericalDecision: a missing value is 0.0 unless missing values have a side
        nan_left = np.where(missing == _MISSING["NaN"], arrays["default_left"], 0.0 <= threshold)
        used = np.bincount(arrays["feature"])
        return cls(
            roots=np.array(roots, dtype=np.int32),
            **arrays,
            leaf_value=np.array(leaves, dtype=np.float64),
            nan_left=nan_left,
            plain=not (arrays["categorical"].any() or (missing == _MISSING["Zero"]).any()),
            order_features=tuple(int(f) for f in np.argsort(-used, kind="stable")[:2]),
            n_features=used.size,
        )

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Raw scores (the sum of the trees' leaves) of each row of ``X``; ValueError for
        rows with fewer columns than the trees read (the kernels do not check bounds)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] < self.n_features:
            msg = f"X must be 2-d with at least {self.n_features} columns, got shape {X.shape}"
            raise ValueError(msg)
        keys = [X[:, f] for f in reversed(self.order_features)]
        order = np.lexsort(keys) if keys else np.arange(X.shape[0])
        rows = np.ascontiguousarray(X[order])
        if self.plain:
            walked = _predict_plain(
                rows,
                self.roots,
                self.feature,
                self.threshold,
                self.left,
                self.right,
                self.nan_left,
                self.leaf_value,
            )
        else:
            walked = _predict(
                rows,
                self.roots,
                self.feature,
                self.threshold,
                self.left,
                self.right,
                self.default_left,
                self.missing,
                self.categorical,
                self.category_mask,
                self.leaf_value,
            )
        scores = np.empty(X.shape[0])
        scores[order] = walked
        return scores


@njit(cache=True, nogil=True)
def _predict(  # type: ignore[no-untyped-def]
    X, roots, feature, threshold, left, right, default_left, missing, categorical, mask, leaves
):
    """Sum of leaf values per row; tree by tree, so that each tree stays in cache."""
    out = np.zeros(X.shape[0])
    for t in range(roots.size):
        for i in range(X.shape[0]):
            node = roots[t]
            while node >= 0:
                value = X[i, feature[node]]
                if categorical[node]:  # LightGBM's CategoricalDecision
                    go_left = False
                    if not np.isnan(value):
                        category = int(value)
                        if 0 <= category < 64:
                            go_left = (mask[node] >> np.uint64(category)) & np.uint64(1) == 1
                else:  # LightGBM's NumericalDecision
                    kind = missing[node]
                    if np.isnan(value) and kind != 2:
                        value = 0.0
                    if (kind == 1 and -_ZERO <= value <= _ZERO) or (kind == 2 and np.isnan(value)):
                        go_left = default_left[node]
                    else:
                        go_left = value <= threshold[node]
                node = left[node] if go_left else right[node]
            out[i] += leaves[-node - 1]
    return out


@njit(cache=True, nogil=True)
def _predict_plain(X, roots, feature, threshold, left, right, nan_left, leaves):  # type: ignore[no-untyped-def]
    """:func:`_predict` for trees of numerical splits without zero-as-missing."""
    out = np.zeros(X.shape[0])
    for t in range(roots.size):
        for i in range(X.shape[0]):
            node = roots[t]
            while node >= 0:
                value = X[i, feature[node]]
                if value <= threshold[node]:
                    node = left[node]
                elif value > threshold[node]:
                    node = right[node]
                else:  # missing (NaN)
                    node = left[node] if nan_left[node] else right[node]
            out[i] += leaves[-node - 1]
    return out
