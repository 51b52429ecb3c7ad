"""The plot saver and the models' plots: PNG files, laid out, no backend switched at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from models.plots import (
    plot_error_by_hour,
    plot_error_by_model,
    plot_predicted_vs_actual,
    save_figure,
)

PNG = b"\x89PNG"


def test_save_figure_writes_png_creating_folders(tmp_path: Path) -> None:
    """The figure is written as a PNG at the requested dpi under new parent folders."""
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [0, 1])
    out = save_figure(fig, tmp_path / "a" / "b" / "line.png", dpi=50)
    assert out == tmp_path / "a" / "b" / "line.png"
    assert out.read_bytes().startswith(PNG)
    assert out.read_bytes()[16:24] == (100).to_bytes(4, "big") + (50).to_bytes(4, "big")


def test_save_figure_keeps_a_figures_own_layout(tmp_path: Path) -> None:
    """A constrained-layout figure is not switched to the tight layout (which would warn)."""
    fig = Figure(figsize=(2, 1), layout="constrained")
    fig.add_subplot()
    save_figure(fig, tmp_path / "constrained.png")
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def test_accuracy_plots_write_pngs(tmp_path: Path) -> None:
    """Error by hour, predicted against actual and error by model each write one PNG."""
    rng = np.random.default_rng(0)
    hour = rng.uniform(0, 24, 300)
    actual = rng.uniform(200, 2000, 300)
    table = pd.DataFrame(
        {"model": ["a", "b"], "mae_s": [30.0, 20.0], "latency_us_per_row": [1.0, 2.0]}
    )
    written = [
        plot_error_by_hour(hour, actual, {"a": actual * 1.1}, tmp_path / "hour.png"),
        plot_predicted_vs_actual(actual, actual * 0.9, tmp_path / "pva.png", "a"),
        plot_error_by_model(table, "b", tmp_path / "models.png"),
    ]
    assert all(path.read_bytes().startswith(PNG) for path in written)


def test_importing_models_leaves_the_backend_alone() -> None:
    """Importing the package neither imports pyplot nor changes the configured backend."""
    code = (
        "import sys, matplotlib, models, models.plots; "
        "assert 'matplotlib.pyplot' not in sys.modules; "
        "assert matplotlib.rcParams['backend'] == 'svg', matplotlib.rcParams['backend']"
    )
    env = {**os.environ, "MPLBACKEND": "svg", "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
