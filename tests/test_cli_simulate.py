"""``dispatch simulate``, ``sweep`` and ``fleet-size`` end to end on the embedded map."""

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


def test_fleet_size_prints_the_sizes_tried_and_the_saving(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Each policy's sizes tried with their rates, its verdict, the saving over greedy, JSON."""
    out = tmp_path / "sizing.json"
    code = main(
        [
            "fleet-size",
            *("--riders", "60", "--history-days", "3", "--vehicles", "6"),
            *("--policies", "greedy/free-flow,batch/free-flow", "--target-on-time", "0.85"),
            *("--min-vehicles", "1", "--max-vehicles", "8", "--out", str(out)),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "greedy/free-flow needs 8 vehicles\n" in printed
    assert "batch/free-flow needs 6 vehicles, greedy/free-flow needs 8: saves 2" in printed
    rates = {s["policy"]: s["rates"] for s in json.loads(out.read_text())["sizings"]}
    assert rates["batch/free-flow"] == {"6": 0.8571, "5": 0.7143}
    assert rates["greedy/free-flow"]["7"] < 0.85 <= rates["greedy/free-flow"]["8"]


def test_fleet_size_says_when_the_largest_fleet_falls_short(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A target no fleet of the range reaches is said, not an error, and no saving claimed."""
    argv = ["fleet-size", "--riders", "60", "--history-days", "3", "--vehicles", "2"]
    code = main(
        [
            *argv,
            *("--policies", "greedy/free-flow,batch/free-flow", "--target-on-time", "0.99"),
            *("--min-vehicles", "1", "--max-vehicles", "3", "--out", str(tmp_path / "s.json")),
        ]
    )
    assert code == 0
    assert (
        "batch/free-flow does not reach 0.99 with up to 3 vehicles; "
        "greedy/free-flow does not reach 0.99 with up to 3 vehicles: no saving to report"
    ) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fleet-size", "--target-on-time", "1.5"], "--target-on-time must be in (0, 1]"),
        (["fleet-size", "--target-on-time", "0"], "--target-on-time must be in (0, 1]"),
        (["fleet-size", "--min-vehicles", "10", "--max-vehicles", "5"], "--min-vehicles 10"),
        (["fleet-size", "--min-vehicles", "0"], "--min-vehicles 0"),
        (["fleet-size", "--seeds", ","], "--seeds needs at least one seed"),
        (["fleet-size", "--policies", "fastest/free-flow"], "policy 'fastest/free-flow'"),
        (["fleet-size", "--riders", "0"], "--riders"),
        (["simulate", "--policies", "fastest/free-flow"], "policy 'fastest/free-flow'"),
        (["simulate", "--vehicles", "0"], "--vehicles"),
        (["simulate", "--riders", "0"], "--riders"),
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
    assert len(err.strip().splitlines()) == 1
