"""The model card: what a saved ETA model saw, how it was built and how well it does.

:func:`build_model_card` gathers, as a JSON-ready dict: the data window (train and test
dates, rows), the cleaning report (rows kept, dropped by reason, filled, flagged), the
features, the hyperparameters, the test metrics with bootstrap intervals, the baselines
scored on the same test rows (free flow, free flow x hour-of-week ratio, the
raw-coordinate LightGBM) each paired against the model, and the P90 coverage per hour
of day. :func:`write_model_card` writes it as ``model_card.json`` and ``model_card.md``.

Optional fitted attributes of the model are read when present, so models that record
more say more: ``feature_names_used_`` (features the model uses; default
``feature_names_in_``), ``left_out_features_`` (features left out and why: a list or
a dict) and ``tuning_report_`` (a dict, or an object with ``as_dict()``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .baselines import FreeFlow, HourOfWeekRatio, RawCoordinateLightGBM
from .cleaning import CleaningReport
from .comparison import RAW_FAMILY
from .metrics import metric_intervals, regression_metrics
from .paired import paired_comparison
from .training import PreparedTrips, TrainingResult

MODEL_CARD_JSON = "model_card.json"
MODEL_CARD_MD = "model_card.md"
FREE_FLOW = "free-flow"
HOUR_OF_WEEK = "free-flow x hour-of-week ratio"
RAW_COORDINATES = RAW_FAMILY
MODEL = "model"


def rows_in_window(data: PreparedTrips, window: tuple[date, date] | None) -> NDArray[np.bool_]:
    """Rows of ``data`` whose local date is in ``window`` (inclusive; none if None)."""
    dates = data.local_dates()
    if window is None:
        return np.zeros(len(dates), dtype=bool)
    return np.asarray((dates >= window[0]) & (dates <= window[1]))


def baseline_predictions(
    data: PreparedTrips,
    result: TrainingResult,
    *,
    raw_coordinates: bool = True,
    random_state: int = 0,
    n_jobs: int = 1,
) -> dict[str, NDArray[np.float64]]:
    """The baselines fitted on the training window and predicting the test window's rows.

    Free flow, free flow x hour-of-week ratio and, if ``raw_coordinates``, the
    raw-coordinate LightGBM (the slowest: early stopping, then a refit; left out when the
    training window has too few trips to early-stop). Empty without test rows.
    """
    train = rows_in_window(data, result.train_window)
    test = rows_in_window(data, result.test_window)
    if not test.any():
        return {}
    X_train, y_train, X_test = data.X[train], data.y[train], data.X[test]
    out = {
        FREE_FLOW: FreeFlow().fit(X_train, y_train).predict(X_test),
        HOUR_OF_WEEK: HourOfWeekRatio().fit(X_train, y_train).predict(X_test),
    }
    if raw_coordinates:
        raw = RawCoordinateLightGBM(random_state=random_state, n_jobs=n_jobs)
        try:
            raw.fit(data.trips[train], y_train)
        except ValueError:  # too few training trips to early-stop: no raw-coordinate row
            return out
        out[RAW_COORDINATES] = raw.predict(data.trips[test])
    return out


def build_model_card(
    result: TrainingResult,
    cleaning: CleaningReport,
    *,
    data: PreparedTrips | None = None,
    baselines: Mapping[str, NDArray[np.float64]] | None = None,
    n_resamples: int = 1000,
    random_state: int = 0,
) -> dict[str, Any]:
    """The card of a trained model, as a JSON-ready dict.

    Parameters
    ----------
    result
        The trained model, its windows and test metrics.
    cleaning
        What cleaning kept and dropped.
    data
        The prepared trips the model was trained and tested on. Without them the card
        has no intervals, baselines or calibration (only ``result``'s metrics).
    baselines
        Predictions of baselines on the test rows, by name (see
        :func:`baseline_predictions`); computed from ``data`` (with the raw-coordinate
        baseline) when not given.
    n_resamples, random_state
        Bootstrap resamples and seed of the intervals.

    Returns
    -------
    dict
        Keys ``model``, ``data``, ``cleaning``, ``features``, ``hyperparameters``,
        ``metrics``, ``metric_intervals``, ``baselines``, ``paired``, ``verdict`` and
        ``calibration_by_hour``.
    """
    model = result.model
    card: dict[str, Any] = {
        "model": type(model).__name__,
        "data": {
            "train_window": [d.isoformat() for d in result.train_window],
            "test_window": _window(result.test_window),
            "n_train": result.n_train,
            "n_test": result.n_test,
        },
        "cleaning": cleaning.as_dict(),
        "features": _features(model),
        "hyperparameters": {
            "params": _json_safe(model.get_params()),
            "tuning": _json_safe(_tuning(model)),
        },
        "metrics": dict(result.metrics),
        "metric_intervals": {},
        "baselines": {FREE_FLOW: dict(result.baseline_metrics)} if result.baseline_metrics else {},
        "paired": {},
        "verdict": None,
        "calibration_by_hour": [],
    }
    test = rows_in_window(data, result.test_window) if data is not None else None
    if data is None or test is None or not test.any():
        return card
    X_test, y_test = data.X[test], data.y[test]
    predicted, upper = model.predict_with_p90(X_test)
    card["metrics"] = regression_metrics(y_test, predicted, upper)
    intervals = metric_intervals(
        y_test, predicted, n_resamples=n_resamples, random_state=random_state
    )
    card["metric_intervals"] = {
        name: {"low": low, "high": high, "confidence": 0.95, "n_resamples": n_resamples}
        for name, (low, high) in intervals.items()
    }
    if baselines is None:
        baselines = baseline_predictions(data, result, random_state=random_state)
    card["baselines"] = {name: regression_metrics(y_test, p) for name, p in baselines.items()}
    paired = {
        name: paired_comparison(
            y_test,
            predicted,
            p,
            names=(MODEL, name),
            n_resamples=n_resamples,
            random_state=random_state,
        )
        for name, p in baselines.items()
    }
    card["paired"] = {name: p.as_dict() for name, p in paired.items()}
    if RAW_COORDINATES in paired:
        card["verdict"] = paired[RAW_COORDINATES].verdict()
    card["calibration_by_hour"] = _coverage_by_hour(X_test["hour"].to_numpy(), y_test, upper)
    return card


def model_card_markdown(card: Mapping[str, Any]) -> str:
    """The card as a Markdown document."""
    data, cleaning = card["data"], card["cleaning"]
    lines = [f"# Model card: {card['model']} {card.get('model_version', '')}".rstrip(), ""]
    if card.get("created_at"):
        lines += [f"Created {card['created_at']}.", ""]
    test = data["test_window"]
    lines += [
        "## Data",
        "",
        f"- Train: {data['train_window'][0]} .. {data['train_window'][1]} "
        f"({data['n_train']:,} trips)",
        f"- Test: {f'{test[0]} .. {test[1]}' if test else 'none'} ({data['n_test']:,} trips)",
        f"- Cleaning: {cleaning['rows_in']:,} rows in, {cleaning['rows_out']:,} kept",
    ]
    for label, key in (("dropped", "dropped"), ("filled", "filled"), ("flagged", "flagged")):
        lines += [f"  - {label} {n:,}: {what}" for what, n in cleaning[key].items() if n]
    features = card["features"]
    lines += ["", "## Features", "", f"Used ({len(features['used'])}): "]
    lines[-1] += ", ".join(f"`{f}`" for f in features["used"])
    if features["left_out"]:
        left_out = features["left_out"]
        items = left_out.items() if isinstance(left_out, dict) else ((f, "") for f in left_out)
        lines += [
            "",
            "Left out: " + ", ".join(f"`{f}`" + (f" ({why})" if why else "") for f, why in items),
        ]
    hyper = card["hyperparameters"]
    lines += ["", "## Hyperparameters", "", _kv_table(hyper["params"])]
    if hyper["tuning"] is not None:
        lines += ["", "Tuning:", "", "```json", json.dumps(hyper["tuning"], indent=2), "```"]
    lines += ["", "## Metrics (test days)", ""]
    lines += [_metrics_table(card)]
    if card["paired"]:
        lines += ["", "## Against the baselines (same test rows, paired bootstrap)", ""]
        rows = [
            "| baseline | MAE difference s | 95% CI s | MAE difference % | 95% CI % |",
            "|---|---|---|---|---|",
        ]
        for name, p in card["paired"].items():
            (dl, dh), (pl, ph) = p["mae_difference_ci"], p["mae_difference_pct_ci"]
            rows.append(
                f"| {name} | {p['mae_difference_s']:+.1f} | {dl:+.1f} .. {dh:+.1f} | "
                f"{p['mae_difference_pct']:+.1f} | {pl:+.1f} .. {ph:+.1f} |"
            )
        lines += rows
    if card["verdict"]:
        lines += ["", f"**Verdict:** {card['verdict']}"]
    if card["calibration_by_hour"]:
        lines += ["", "## P90 calibration by hour of day (test days)", ""]
        lines += ["| hour | trips | P90 coverage |", "|---|---|---|"]
        lines += [
            f"| {c['hour']:02d} | {c['n']:,} | {c['p90_coverage']:.3f} |"
            for c in card["calibration_by_hour"]
        ]
    return "\n".join(lines) + "\n"


def write_model_card(card: Mapping[str, Any], directory: str | Path) -> tuple[Path, Path]:
    """Write ``model_card.json`` and ``model_card.md`` into ``directory``; return both paths."""
    directory = Path(directory)
    json_path, md_path = directory / MODEL_CARD_JSON, directory / MODEL_CARD_MD
    json_path.write_text(json.dumps(_json_safe(card), indent=2))
    md_path.write_text(model_card_markdown(card))
    return json_path, md_path


def _features(model: Any) -> dict[str, Any]:
    used = getattr(model, "feature_names_used_", None)
    if used is None:
        used = getattr(model, "feature_names_in_", [])
    left_out = getattr(model, "left_out_features_", None)
    return {"used": [str(f) for f in used], "left_out": _json_safe(left_out)}


def _tuning(model: Any) -> Any:
    report = getattr(model, "tuning_report_", None)
    as_dict = getattr(report, "as_dict", None)
    return as_dict() if callable(as_dict) else report


def _coverage_by_hour(
    hour: NDArray[np.float64], actual: NDArray[np.float64], upper: NDArray[np.float64]
) -> list[dict[str, Any]]:
    hours = np.floor(hour).astype(int)
    covered = actual <= upper
    return [
        {
            "hour": int(h),
            "n": int((hours == h).sum()),
            "p90_coverage": float(covered[hours == h].mean()),
        }
        for h in np.unique(hours)
    ]


def _window(window: tuple[date, date] | None) -> list[str] | None:
    return [d.isoformat() for d in window] if window else None


def _metrics_table(card: Mapping[str, Any]) -> str:
    names = {MODEL: card["metrics"], **card["baselines"]}
    keys = [k for k in ("mae_s", "mape", "rmsle", "p90_abs_error_s", "bias_s", "p90_coverage")]
    rows = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in keys:
        cells = []
        for name, metrics in names.items():
            value = metrics.get(key)
            cell = "" if value is None else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
            interval = card["metric_intervals"].get(key) if name == MODEL else None
            if interval and value is not None:
                fmt = ".3f" if abs(value) < 10 else ".1f"
                cell += f" ({interval['low']:{fmt}} .. {interval['high']:{fmt}})"
            cells.append(cell)
        if any(cells):
            rows.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _kv_table(params: Mapping[str, Any]) -> str:
    rows = ["| parameter | value |", "|---|---|"]
    rows += [f"| {k} | {v} |" for k, v in params.items()]
    return "\n".join(rows)


def _json_safe(value: Any) -> Any:
    """Dates, numpy scalars and arrays, tuples and sets made JSON-ready; unknown objects as str."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
