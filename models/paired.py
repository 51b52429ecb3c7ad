"""Paired comparison of two duration predictions on the same trips, with a bootstrap interval.

Both predictions are scored on the same rows, and the rows are resampled together, so the
interval of the MAE difference reflects only how the two models differ on these trips.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .metrics import bootstrap_means, percentile_interval, regression_metrics


@dataclass(frozen=True)
class PairedComparison:
    """A candidate against a reference on the same rows.

    ``metrics`` holds :func:`models.metrics.regression_metrics` of each, by name;
    differences are candidate minus reference (negative: the candidate is better), in
    seconds and in percent of the reference's MAE, each with its bootstrap interval.
    """

    candidate: str
    reference: str
    metrics: dict[str, dict[str, float]]
    mae_difference_s: float
    mae_difference_ci: tuple[float, float]
    mae_difference_pct: float
    mae_difference_pct_ci: tuple[float, float]
    confidence: float
    n_resamples: int

    @property
    def significant(self) -> bool:
        """Whether the interval of the MAE difference excludes zero."""
        low, high = self.mae_difference_ci
        return bool(low > 0 or high < 0)

    @property
    def candidate_wins(self) -> bool:
        """Whether the candidate's MAE is lower, beyond the interval."""
        return self.mae_difference_ci[1] < 0

    def verdict(self, subject: str = "the map") -> str:
        """One line: whether ``subject`` (what the candidate has and the reference lacks) pays.

        E.g. "the map earns its keep: MAE -12.0% (95% CI -13.1..-10.9%) against ...".
        """
        low, high = self.mae_difference_pct_ci
        numbers = (
            f"MAE {self.mae_difference_pct:+.1f}% ({self.confidence:.0%} CI "
            f"{low:+.1f}..{high:+.1f}%, {self.mae_difference_s:+.1f} s) "
            f"for {self.candidate} against {self.reference}"
        )
        if self.candidate_wins:
            return f"{subject} earns its keep: {numbers}"
        if not self.significant:
            return f"{subject} does not earn its keep (no significant difference): {numbers}"
        return f"{subject} does not earn its keep: {numbers}"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for JSON."""
        return asdict(self)


def paired_comparison(
    actual: ArrayLike,
    candidate: ArrayLike,
    reference: ArrayLike,
    *,
    names: tuple[str, str] = ("candidate", "reference"),
    confidence: float = 0.95,
    n_resamples: int = 1000,
    random_state: int = 0,
) -> PairedComparison:
    """Score two predictions of the same trips and bootstrap the difference of their MAE.

    Parameters
    ----------
    actual
        Actual durations (s), shape (n_rows,).
    candidate, reference
        Predicted durations (s) of the same rows, shape (n_rows,).
    names
        Display names of the candidate and the reference.
    confidence
        Level of the percentile intervals.
    n_resamples
        Bootstrap resamples of the rows (the same rows for both predictions).
    random_state
        Seed of the resampling.

    Returns
    -------
    PairedComparison
        Metrics of each, the MAE difference (candidate - reference) in s and in % of the
        reference's MAE, with intervals.
    """
    y = np.asarray(actual, dtype=float)
    a = np.asarray(candidate, dtype=float)
    b = np.asarray(reference, dtype=float)
    if y.ndim != 1 or a.shape != y.shape or b.shape != y.shape or y.size == 0:
        msg = (
            f"actual, candidate and reference must be non-empty and of one shape, got "
            f"{y.shape}, {a.shape}, {b.shape}"
        )
        raise ValueError(msg)
    error_a, error_b = np.abs(a - y), np.abs(b - y)
    means = bootstrap_means(
        np.column_stack((error_a, error_b)), n_resamples=n_resamples, random_state=random_state
    )
    difference = means[:, 0] - means[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(means[:, 1] > 0, 100 * difference / means[:, 1], 0.0)
    (d_low, p_low), (d_high, p_high) = percentile_interval(
        np.column_stack((difference, relative)), confidence
    )
    mae_a, mae_b = float(error_a.mean()), float(error_b.mean())
    return PairedComparison(
        candidate=names[0],
        reference=names[1],
        metrics={names[0]: regression_metrics(y, a), names[1]: regression_metrics(y, b)},
        mae_difference_s=mae_a - mae_b,
        mae_difference_ci=(float(d_low), float(d_high)),
        mae_difference_pct=100 * (mae_a - mae_b) / mae_b if mae_b > 0 else 0.0,
        mae_difference_pct_ci=(float(p_low), float(p_high)),
        confidence=confidence,
        n_resamples=n_resamples,
    )
