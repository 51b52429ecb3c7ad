"""`dispatch bench darp|pdptw` on the literature instances."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dispatch.cli import main


def _file(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared benchmark data missing: {path}")
    return path


def test_bench_darp_reports_feasible_plan_and_gap(tmp_path: Path, shared_data: Path) -> None:
    """bench darp solves a2-16, checks the plan and reports its gap to the BKS beside it."""
    instance = _file(shared_data / "darp" / "cordeau2006" / "a2-16.txt")
    out = tmp_path / "bench.json"
    assert main(["bench", "darp", str(instance), "--time-limit", "2", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["feasible"]
    assert row["violations"] == []
    assert row["gap"] < 0.02
    assert row["seconds"] <= 2 * 1.1 + 0.3


def test_bench_pdptw_counts_vehicles(tmp_path: Path, shared_data: Path) -> None:
    """bench pdptw solves lc201 with at most its best-known vehicles plus one."""
    instance = _file(shared_data / "pdptw" / "lilim" / "lc201.txt")
    out = tmp_path / "bench.json"
    assert main(["bench", "pdptw", str(instance), "--time-limit", "2", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["feasible"]
    assert row["vehicles"] <= row["bks_vehicles"] + 1


def test_bench_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file or a malformed instance exits 2 naming the file and the line."""
    assert main(["bench", "darp", str(tmp_path / "none.txt")]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("2 1 480 3 30\n0 0 0 0 0 0\n")
    assert main(["bench", "darp", str(bad), "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "bad.txt" in err
    assert "line 1" in err


def test_bench_solver_seed_and_iterations(tmp_path: Path, shared_data: Path) -> None:
    """--seed with --iterations repeats the ALNS's plan; --solver ortools runs OR-Tools."""
    instance = _file(shared_data / "darp" / "cordeau2003" / "pr01.txt")
    rows = []
    for run in range(2):
        out = tmp_path / f"alns{run}.json"
        args = ["bench", "darp", str(instance), "--iterations", "60", "--seed", "3"]
        assert main([*args, "--time-limit", "60", "--json", str(out)]) == 0
        rows.append(json.loads(out.read_text())[0])
    assert rows[0]["cost"] == rows[1]["cost"]
    assert rows[0]["solver"] == "alns"
    assert rows[0]["family"] == "pr"
    out = tmp_path / "ortools.json"
    args = ["bench", "darp", str(instance), "--solver", "ortools", "--time-limit", "1"]
    assert main([*args, "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["solver"] == "ortools"
    assert row["feasible"]
