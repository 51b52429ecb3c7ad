"""Feature drift as a population stability index (PSI) against a reference sample.

Rule of thumb: a PSI below 0.1 is stable, 0.1-0.25 a moderate shift, above 0.25 a major one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .exceptions import MonitoringError

PSI_EPSILON = 1e-4
"""Floor on a bin's share in the PSI, so that an empty bin gives a large but finite term."""


@dataclass(frozen=True, eq=False)
class DriftReference:
    """Quantile bin edges of one reference sample and its share per bin.

    Bin edges are the quantiles of the reference at ``1/bins, ..., (bins-1)/bins``,
    deduplicated; the outer bins are open-ended, a value equal to an edge has a bin of its
    own (so a point mass, a constant feature or zero precipitation, is compared as such
    wherever the distribution moves), and NaNs form one more bin.
    """

    edges: NDArray[np.float64]
    shares: NDArray[np.float64]

    @classmethod
    def from_sample(cls, reference: NDArray[np.float64], bins: int) -> DriftReference:
        """Edges and shares of ``reference`` (float64, NaN allowed) with ``bins`` quantile bins."""
        edges = _quantile_edges(reference, bins)
        return cls(edges, _bin_shares(reference, edges))

    def psi(self, actual: NDArray[np.float64]) -> float:
        """PSI of the non-empty float64 sample ``actual`` against the reference."""
        expected = np.maximum(self.shares, PSI_EPSILON)
        current = np.maximum(_bin_shares(actual, self.edges), PSI_EPSILON)
        return float(np.sum((current - expected) * np.log(current / expected)))


def population_stability_index(expected: ArrayLike, actual: ArrayLike, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (the reference).

    Bins are those of :class:`DriftReference`; shares are floored at :data:`PSI_EPSILON`.

    Parameters
    ----------
    expected
        Reference sample of one numeric feature (e.g. the training window).
    actual
        Sample to compare (e.g. recent live traffic).
    bins
        Number of quantile bins of ``expected``.

    Returns
    -------
    float
        ``sum((a - e) * ln(a / e))`` over the bins: 0 for identical distributions,
        above 0.25 for a major shift.
    """
    if bins < 1:
        msg = f"bins must be at least 1, got {bins}"
        raise MonitoringError(msg)
    reference = _float_sample(expected, "expected")
    current = _float_sample(actual, "actual")
    return DriftReference.from_sample(reference, bins).psi(current)


def _quantile_edges(expected: NDArray[np.float64], bins: int) -> NDArray[np.float64]:
    """Distinct interior quantiles of the finite values of ``expected``."""
    finite = expected[np.isfinite(expected)]
    if finite.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def _bin_shares(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of ``values`` per bin: below, at and between the edges, above them, NaN last."""
    missing = np.isnan(values)
    present = values[~missing]
    index = np.searchsorted(edges, present, "left") + np.searchsorted(edges, present, "right")
    counts = np.bincount(index, minlength=2 * edges.size + 1)
    return np.append(counts, missing.sum()) / values.size


def _float_sample(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """``values`` as a non-empty 1-d float array (NaN allowed)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        msg = f"{name} must be numeric: {error}"
        raise MonitoringError(msg) from error
    if array.ndim != 1 or array.size == 0:
        msg = f"{name} must be a non-empty 1-d sequence of numbers, got shape {array.shape}"
        raise MonitoringError(msg)
    return array
