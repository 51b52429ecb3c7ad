"""Plots of ETA accuracy: error by hour, predicted against actual, error by model."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def plot_error_by_hour(
    hour: np.ndarray, actual: np.ndarray, predictions: dict[str, np.ndarray], path: str | Path
) -> Path:
    """Mean absolute error per hour of departure, one line per model."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    hours = np.floor(hour).astype(int)
    for name, predicted in predictions.items():
        mae = pd.Series(np.abs(predicted - actual)).groupby(hours).mean()
        ax.plot(mae.index, mae.to_numpy(), marker="o", label=name)
    ax.set(xlabel="hour of departure", ylabel="mean absolute error (s)", title="ETA error by hour")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_predicted_vs_actual(
    actual: np.ndarray, predicted: np.ndarray, path: str | Path, title: str
) -> Path:
    """Density of predicted against actual durations (minutes), with the diagonal."""
    fig, ax = plt.subplots(figsize=(6, 6))
    top = float(np.quantile(actual, 0.995)) / 60
    ax.hexbin(
        actual / 60,
        predicted / 60,
        gridsize=60,
        bins="log",
        extent=(0, top, 0, top),
        cmap="viridis",
    )
    ax.plot([0, top], [0, top], color="red", lw=1)
    ax.set(xlabel="actual (min)", ylabel="predicted (min)", title=title)
    return _save(fig, path)


def plot_error_by_model(table: pd.DataFrame, chosen: str | None, path: str | Path) -> Path:
    """MAE per model family, the chosen one highlighted, latency per row as a label."""
    ordered = table.sort_values("mae_s", ascending=False)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(ordered) + 1.5))
    colors = ["tab:green" if m == chosen else "tab:blue" for m in ordered["model"]]
    bars = ax.barh(ordered["model"], ordered["mae_s"], color=colors)
    for bar, latency in zip(bars, ordered["latency_us_per_row"], strict=True):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f"  {latency:.1f} µs/row",
            va="center",
            fontsize=8,
        )
    ax.set(
        xlabel="mean absolute error on later days (s)", title=f"Model comparison (chosen: {chosen})"
    )
    ax.set_xlim(0, ordered["mae_s"].max() * 1.3)
    return _save(fig, path)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
