"""The ``dispatch`` command line on the embedded map."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dispatch.cli import main
from tests.stores import BACKENDS, query


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the graph cache at a fresh folder for these tests."""
    old = os.environ.get("ROUTING_CACHE_DIR")
    os.environ["ROUTING_CACHE_DIR"] = str(tmp_path_factory.mktemp("cli-cache"))
    yield
    if old is None:
        del os.environ["ROUTING_CACHE_DIR"]
    else:
        os.environ["ROUTING_CACHE_DIR"] = old


def test_graph_info_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """`dispatch graph info` loads the embedded map and prints its size."""
    assert main(["graph", "info"]) == 0
    out = capsys.readouterr().out
    assert "baltimore.osm.pbf" in out
    assert "directed edges" in out


def test_graph_build_writes_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`dispatch graph build --out` writes a compiled graph that `graph info` can read back."""
    out_file = tmp_path / "baltimore.npz"
    assert main(["graph", "build", "--out", str(out_file)]) == 0
    assert out_file.is_file()
    assert main(["graph", "info", str(out_file)]) == 0
    assert "nodes" in capsys.readouterr().out


def test_route_between_points_writes_json(tmp_path: Path) -> None:
    """`dispatch route --from --to` answers one route with positive time and distance."""
    out_file = tmp_path / "route.json"
    code = main(
        ["route", "--from", "39.2904,-76.6122", "--to", "39.2970,-76.5930", "--json", str(out_file)]
    )
    assert code == 0
    (record,) = json.loads(out_file.read_text())
    assert record["travel_time_s"] > 0
    assert record["length_m"] > 0


def test_route_samples_print_table(capsys: pytest.CaptureFixture[str]) -> None:
    """`dispatch route` with no points routes seeded sample pairs and prints a table."""
    assert main(["route", "--pairs", "3", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["from", "to"]
    assert len([line for line in lines if line.startswith("39.")]) == 3


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["route", "--from", "40.5,-76.0", "--to", "39.29,-76.61"], "farther than 500 m"),
        (["route", "--from", "nowhere", "--to", "39.29,-76.61"], "--from must be LAT,LON"),
        (["graph", "info", "no/such/map.osm.pbf"], "map file not found"),
        (["db", "upgrade", "--store", "not a url"], "cannot parse the store URL"),
        (
            ["db", "upgrade", "--store", "postgresql://dispatch@/dispatch?host=/no/such/dir"],
            "cannot use the store postgresql://dispatch@/dispatch",
        ),
    ],
)
def test_bad_input_exits_2_with_message(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input exits with code 2 and a one-line error naming the problem, no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one line (progress bars only return the carriage)


@BACKENDS
def test_db_upgrade_migrates_the_store_once(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dispatch db upgrade` brings a new store to the latest revision; again, it says so."""
    assert main(["db", "upgrade", "--store", store_url]) == 0
    assert "from schema revision none to" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", store_url]) == 0
    assert "is at the latest schema revision" in capsys.readouterr().out
    assert query(store_url, "SELECT count(*) FROM trips") == [(0,)]


def test_console_script_runs() -> None:
    """The installed `dispatch` console script starts and lists its subcommands."""
    script = Path(sys.executable).with_name("dispatch")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert "graph" in result.stdout
    assert "route" in result.stdout
