"""``dispatch simulate`` and ``dispatch sweep`` end to end on the embedded map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dispatch.cli import main

SMALL = ["--vehicles", "6", "--riders", "120", "--history-days", "7", "--workers", "1"]


def test_simulate_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A small comparison prints the KPI table and writes JSON, three PNGs and the map."""
    policies = "greedy/free-flow,scheduled/eta-model"
    code = main(
        ["simulate", *SMALL, "--policies", policies, "--plan-seconds", "2", "--out", str(tmp_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "on-time appointment arrival" in out and "scheduled/eta-model" in out
    summary = json.loads((tmp_path / "kpis.json").read_text())
    assert [k["policy"] for k in summary["kpis"]] == policies.split(",")
    assert summary["model"]["n_train"] > 0
    for name in ("kpis_by_policy.png", "lateness.png", "vehicle_timelines.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    page = (tmp_path / "vehicle_day.html").read_text()
    assert "L.polyline" in page and "OpenStreetMap contributors" in page


def test_simulate_drift_scenario(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The drift scenario prints its days and writes the error-by-day plot."""
    code = main(["simulate", "--scenario", "drift", *SMALL, "--out", str(tmp_path)])
    assert code == 0
    assert "snow" in capsys.readouterr().out
    assert (tmp_path / "drift_error.png").exists()
    days = json.loads((tmp_path / "drift.json").read_text())["days"]
    assert len(days) == 12


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--policies", "fastest/free-flow"], "policy 'fastest/free-flow'"),
        (["simulate", "--vehicles", "0"], "--vehicles"),
        (["sweep", "--seeds", "one"], "--seeds"),
        (["sweep", "--weather", "hail"], "--weather"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    """Bad input is a one-line error naming the flag, exit code 2, no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
