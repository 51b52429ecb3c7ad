"""`dispatch train`, `evaluate` and `compare-models` on a small simulated history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dispatch.cli import main
from models import HOLDOUT_FILE, read_trips


@pytest.fixture(scope="module")
def trips_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight days of a 10-vehicle world, written by `dispatch history`."""
    path = tmp_path_factory.mktemp("eta-cli") / "history.parquet"
    assert (
        main(["history", "--days", "8", "--vehicles", "10", "--seed", "2", "--out", str(path)]) == 0
    )
    return path


def test_train_then_evaluate(
    trips_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model trained on the first days beats free flow when evaluated on the later ones."""
    model_dir = tmp_path / "model"
    assert (
        main(
            ["train", "--trips", str(trips_file), "--until", "2026-01-10", "--out", str(model_dir)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "cleaning:" in out
    assert "LightGBM (raw coordinates)" in out
    assert re.search(r"the map (earns|does not earn) its keep.*MAE [+-]\d+\.\d% \(95% CI", out)
    assert {p.name for p in model_dir.iterdir()} >= {
        "model.joblib",
        "metadata.json",
        "cleaning_report.json",
        "model_card.json",
        "model_card.md",
        HOLDOUT_FILE,
    }
    holdout = read_trips(model_dir / HOLDOUT_FILE)  # the test days: retraining's trusted holdout
    assert holdout["pickup_time"].dt.date.min().isoformat() == "2026-01-11"
    assert len(holdout) == json.loads((model_dir / "metadata.json").read_text())["n_test"]
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["verdict"] in out
    assert set(card["paired"]) == {
        "free-flow",
        "free-flow x hour-of-week ratio",
        "LightGBM (raw coordinates)",
    }
    assert sorted(p.name for p in (model_dir / "plots").glob("*.png")) == [
        "error_by_hour.png",
        "predicted_vs_actual.png",
    ]
    report = tmp_path / "eval.json"
    plots = tmp_path / "plots"
    argv = [
        "evaluate",
        "--model",
        str(model_dir),
        "--trips",
        str(trips_file),
        "--from",
        "2026-01-11",
    ]
    assert main([*argv, "--json", str(report), "--plots", str(plots)]) == 0
    result = json.loads(report.read_text())
    assert result["metrics"]["mae_s"] < 0.7 * result["free_flow"]["mae_s"]
    assert sorted(p.name for p in plots.glob("*.png")) == [
        "error_by_hour.png",
        "predicted_vs_actual.png",
    ]


def test_compare_models_names_a_choice(
    trips_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """compare-models scores all ten families, names the one meeting the requirement, and
    pairs the EtaModel against the raw-coordinate baseline."""
    report = tmp_path / "compare.json"
    plots = tmp_path / "plots"
    argv = ["compare-models", "--trips", str(trips_file), "--sample", "0.5"]
    assert main([*argv, "--json", str(report), "--plots", str(plots)]) == 0
    result = json.loads(report.read_text())
    assert len(result["table"]) == 10
    assert "LightGBM (raw coordinates)" in {row["model"] for row in result["table"]}
    paired = result["paired"]
    assert (paired["candidate"], paired["reference"]) == (
        "LightGBM (EtaModel)",
        "LightGBM (raw coordinates)",
    )
    assert "earn" in capsys.readouterr().out
    assert result["chosen"] in {row["model"] for row in result["table"]}
    assert (plots / "error_by_model.png").is_file()


@pytest.mark.parametrize(
    ("drop", "expected"),
    [("duration_s", "duration_s"), ("origin_lat", "origin_lat")],
)
def test_bad_csv_names_the_column(
    trips_file: Path, tmp_path: Path, drop: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV missing a required column exits 2 with a message naming it, no traceback."""
    csv = tmp_path / "bad.csv"
    pd.read_parquet(trips_file).drop(columns=[drop]).to_csv(csv, index=False)
    assert main(["train", "--trips", str(csv), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_evaluate_refuses_a_missing_model(
    trips_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """evaluate with a folder that is not a model exits 2 and says so."""
    assert main(["evaluate", "--model", "no/such/model", "--trips", str(trips_file)]) == 2
    assert "not a model directory" in capsys.readouterr().err
