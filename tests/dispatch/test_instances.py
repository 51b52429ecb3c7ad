"""Readers of the Cordeau DARP and Li & Lim PDPTW instances and their BKS tables."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from dispatch.exceptions import InstanceFormatError
from dispatch.instances import (
    read_bks,
    read_cordeau,
    read_instance,
    read_li_lim,
)
from dispatch.problem import PdpProblem
from tests.shared_data import SHARED_DATA

CORDEAU = SHARED_DATA / "darp" / "cordeau2006"
PR = SHARED_DATA / "darp" / "cordeau2003"
LI_LIM = SHARED_DATA / "pdptw" / "lilim"

# One request; node 3 is the end depot.
TINY_CORDEAU = """1 1 480 3 30
0 0.0 0.0 0 0 0 480
1 3.0 4.0 3 1 0 1440
2 6.0 8.0 3 -1 60 75
3 0.0 0.0 0 0 0 480
"""
# The 2003 'pr' layout: N = 4 stops (two requests) and one depot line, node 0.
TINY_PR = """2 4 480 6 90
0 0.0 0.0 0 0 0 1440
1 3.0 4.0 10 1 0 1440
2 6.0 8.0 10 1 100 130
3 0.0 5.0 10 -1 60 90
4 5.0 0.0 10 -1 0 1440
"""
# The 'b' variant of the 2006 layout: capacity 6, a group of 4, service = load, L = 45.
TINY_B = """1 1 480 6 45
0 0.0 0.0 0 0 0 480
1 3.0 4.0 4 4 0 1440
2 6.0 8.0 4 -4 60 75
3 0.0 0.0 0 0 0 480
"""
# Two requests, pairs (1, 3) and (2, 4); tab separated with CRLF line endings, as distributed.
TINY_LI_LIM = (
    "\r\n".join(
        "\t".join(row.split())
        for row in (
            "2 100 1",
            "0 0 0 0 0 1000 0 0 0",
            "1 3 4 10 0 1000 10 0 3",
            "2 6 8 5 0 1000 10 0 4",
            "3 0 5 -10 0 1000 10 1 0",
            "4 5 0 -5 0 1000 10 2 0",
        )
    )
    + "\r\n"
)


def _files(folder: Path) -> list[object]:
    """The instance files of a shared-data folder as parameters, or one skipped parameter."""
    files = sorted(folder.glob("*.txt"))
    if files:
        return [pytest.param(p, id=p.stem) for p in files]
    return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared data missing: {folder}"))]


def _write(tmp_path: Path, text: str, name: str = "bad.txt") -> Path:
    """Write ``text`` byte for byte (no newline translation) and return the path."""
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def _replace_line(text: str, line: int, new: str) -> str:
    """``text`` with its 1-based line ``line`` replaced (line endings kept)."""
    lines = text.splitlines(keepends=True)
    ending = lines[line - 1][len(lines[line - 1].rstrip("\r\n")) :]
    lines[line - 1] = new + ending
    return "".join(lines)


def _assert_same_problem(a: PdpProblem, b: PdpProblem) -> None:
    """Assert two problems hold equal arrays and names."""
    assert a.name == b.name
    for field in PdpProblem.__dataclass_fields__:
        value = getattr(a, field)
        if isinstance(value, np.ndarray):
            assert_array_equal(value, getattr(b, field), err_msg=field)


@pytest.mark.parametrize("path", _files(CORDEAU))
def test_cordeau_instances(path: Path) -> None:
    """Each Cordeau file gives 2n+2 nodes, pairs (i, n+i), the header's limits, Euclidean times."""
    problem = read_cordeau(path)
    k, n, duration, capacity, ride = (float(v) for v in path.read_text().split()[:5])
    raw = np.loadtxt(path, skiprows=1)
    n_req, n_veh = int(n), int(k)
    assert path.stem == f"a{n_veh}-{n_req}"
    assert problem.name == path.stem
    assert (problem.n_nodes, problem.n_requests, problem.n_vehicles) == (
        2 * n_req + 2,
        n_req,
        n_veh,
    )
    assert_array_equal(problem.pickups, np.arange(1, n_req + 1))
    assert_array_equal(problem.deliveries, np.arange(n_req + 1, 2 * n_req + 1))
    assert_array_equal(problem.demand[:, 0], raw[:, 4])
    assert_array_equal(problem.demand[problem.deliveries], -problem.demand[problem.pickups])
    assert_array_equal(problem.service_time, raw[:, 3])
    assert_array_equal(problem.window_open, raw[:, 5])
    assert_array_equal(problem.window_close, raw[:, 6])
    end = 2 * n_req + 1
    assert (problem.window_open[0], problem.window_close[end]) == (0.0, duration)
    assert_array_equal(problem.vehicle_start, 0)
    assert_array_equal(problem.vehicle_end, end)
    assert_array_equal(problem.capacity, np.full((n_veh, 1), capacity))
    assert_array_equal(problem.max_ride_time, ride)
    assert_array_equal(problem.max_route_duration, duration)
    assert_array_equal(problem.shift_start, 0.0)
    assert_array_equal(problem.shift_end, duration)
    assert problem.compatible.shape == (n_veh, n_req) and problem.compatible.all()
    assert problem.cost is None
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, problem.n_nodes, size=(50, 2)).tolist():
        expected = math.dist(raw[i, 1:3], raw[j, 1:3])
        assert_allclose(problem.travel_time[i, j], expected, rtol=1e-15, atol=1e-15)
    assert problem.travel_time.dtype == np.float64


@pytest.mark.parametrize("path", _files(LI_LIM))
def test_li_lim_instances(path: Path) -> None:
    """Each Li & Lim file (CRLF) gives pairs from its p/d fields, q_d = -q_p, one depot node 0."""
    assert b"\r\n" in path.read_bytes()
    problem = read_li_lim(path)
    k, capacity, _ = (float(v) for v in path.read_text().split()[:3])
    raw = np.loadtxt(path, skiprows=1)
    assert problem.name == path.stem
    assert problem.n_nodes == raw.shape[0]
    assert 50 <= problem.n_requests <= 55 and problem.n_vehicles == int(k) == 25
    pick, drop = problem.pickups, problem.deliveries
    assert_array_equal(raw[pick, 8], drop)
    assert_array_equal(raw[drop, 7], pick)
    assert np.all(np.diff(pick) > 0)
    assert_array_equal(np.sort(np.r_[pick, drop]), np.arange(1, problem.n_nodes))
    assert np.all(problem.demand[pick, 0] > 0)
    assert_array_equal(problem.demand[drop], -problem.demand[pick])
    assert_array_equal(problem.demand[:, 0], raw[:, 3])
    assert_array_equal(problem.window_open, raw[:, 4])
    assert_array_equal(problem.window_close, raw[:, 5])
    assert_array_equal(problem.service_time, raw[:, 6])
    assert_array_equal(problem.vehicle_start, 0)
    assert_array_equal(problem.vehicle_end, 0)
    assert_array_equal(problem.shift_start, raw[0, 4])
    assert_array_equal(problem.shift_end, raw[0, 5])
    assert_array_equal(problem.capacity, np.full((25, 1), capacity))
    assert np.all(np.isinf(problem.max_ride_time)) and np.all(np.isinf(problem.max_route_duration))
    assert problem.compatible.shape == (25, problem.n_requests) and problem.compatible.all()
    assert_allclose(problem.travel_time[0, pick], np.hypot(*(raw[pick, 1:3] - raw[0, 1:3]).T))
    assert_array_equal(problem.travel_time, problem.travel_time.T)


@pytest.mark.parametrize("path", _files(CORDEAU) + _files(LI_LIM))
def test_read_instance_detects_the_format(path: Path) -> None:
    """read_instance tells the format from the first line and matches the specific reader."""
    specific = read_cordeau if path.parent == CORDEAU else read_li_lim
    kind = "darp" if path.parent == CORDEAU else "pdptw"
    _assert_same_problem(read_instance(path), specific(path))
    _assert_same_problem(read_instance(path, kind=kind), specific(path))


@pytest.mark.parametrize("folder", [CORDEAU, LI_LIM], ids=["cordeau", "lilim"])
def test_read_bks(folder: Path) -> None:
    """BKS.csv lists every instance file beside it with a positive cost and vehicle count."""
    if not (folder / "BKS.csv").is_file():
        pytest.skip(f"shared data missing: {folder / 'BKS.csv'}")
    bks = read_bks(folder / "BKS.csv")
    assert set(bks) == {p.stem for p in folder.glob("*.txt")}
    for cost, vehicles in bks.values():
        assert isinstance(cost, float) and cost > 0
        assert isinstance(vehicles, int) and vehicles > 0
    if folder == CORDEAU:
        assert bks["a2-16"] == (294.2480, 2)
    else:
        assert bks["lc101"] == (828.9369, 10)


def test_tiny_cordeau(tmp_path: Path) -> None:
    """A hand-written one-request Cordeau file reads to the expected arrays."""
    problem = read_cordeau(_write(tmp_path, TINY_CORDEAU, "a1-1.txt"))
    assert problem.name == "a1-1"
    assert_allclose(problem.travel_time[0], [0.0, 5.0, 10.0, 0.0])
    assert_array_equal(problem.demand[:, 0], [0, 1, -1, 0])
    assert_array_equal(problem.window_open, [0, 0, 60, 0])
    assert_array_equal(problem.window_close, [480, 1440, 75, 480])
    assert_array_equal(problem.vehicle_end, [3])
    assert_array_equal(problem.request_of(), [-1, 0, 0, -1])


def test_tiny_li_lim(tmp_path: Path) -> None:
    """A hand-written two-request Li & Lim file pairs nodes by p/d, not by position."""
    problem = read_li_lim(_write(tmp_path, TINY_LI_LIM, "l1.txt"))
    assert_array_equal(problem.pickups, [1, 2])
    assert_array_equal(problem.deliveries, [3, 4])
    assert_array_equal(problem.request_of(), [-1, 0, 1, 0, 1])
    assert_allclose(problem.travel_time[1, 2], 5.0)
    assert_array_equal(problem.capacity, [[100.0], [100.0]])


CORDEAU_BREAKS = [
    pytest.param(1, "1 1 480 3", 1, "expected 5 fields", id="header-fields"),
    pytest.param(1, "1.5 1 480 3 30", 1, "field K must be a non-negative integer", id="K-fraction"),
    pytest.param(1, "1 1 480 3 -30", 1, "field L is negative", id="L-negative"),
    pytest.param(3, "1 3.0 4.0 3 1 0", 3, "expected 7 fields", id="node-fields"),
    pytest.param(
        4, "2 6.0 8.0 3 -1 sixty 75", 4, "field e is not a number: 'sixty'", id="nan-field"
    ),
    pytest.param(4, "2 6.0 8.0 3 -1 nan 75", 4, "field e is not finite", id="nan-value"),
    pytest.param(
        3, "2 3.0 4.0 3 1 0 1440", 3, "node id 2 out of order (expected 1)", id="id-order"
    ),
    pytest.param(4, "2 6.0 8.0 3 -2 60 75", 4, "delivery 2 has q=-2; its pickup 1 has q=1", id="q"),
    pytest.param(4, "2 6.0 8.0 -3 -1 60 75", 4, "negative service time", id="service"),
    pytest.param(4, "2 6.0 8.0 3 -1 80 75", 4, "empty time window [80, 75]", id="window"),
    pytest.param(2, "0 0.0 0.0 0 1 0 480", 2, "depot load change q=1", id="depot-load"),
    pytest.param(5, "", 1, "the header announces 4 node lines, the file has 3", id="too-few"),
    pytest.param(5, "3 0.0 0.0 0 0 0 480\n4 0 0 0 0 0 480", 6, "extra line", id="too-many"),
]


@pytest.mark.parametrize(("line", "new", "bad_line", "reason"), CORDEAU_BREAKS)
def test_bad_cordeau(tmp_path: Path, line: int, new: str, bad_line: int, reason: str) -> None:
    """A broken line of a Cordeau file raises InstanceFormatError naming file, line and reason."""
    path = _write(tmp_path, _replace_line(TINY_CORDEAU, line, new))
    with pytest.raises(InstanceFormatError) as caught:
        read_cordeau(path)
    assert caught.value.line == bad_line
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}, line {bad_line}: ")


LI_LIM_BREAKS = [
    pytest.param(1, "2 100", 1, "expected 3 fields", id="header-fields"),
    pytest.param(
        2, "0 0 0 5 0 1000 0 0 0", 2, "the depot (id 0) must have q = p = d = 0", id="depot"
    ),
    pytest.param(3, "1 3 4 10 0 1000 10 0", 3, "expected 9 fields", id="node-fields"),
    pytest.param(3, "1 3 4 ten 0 1000 10 0 3", 3, "field q is not a number", id="nan-field"),
    pytest.param(4, "2 6 8 5 0 1000 10 0 0", 4, "node 2 is neither a pickup", id="neither"),
    pytest.param(4, "2 6 8 5 0 1000 10 1 4", 4, "node 2 is neither a pickup", id="both"),
    pytest.param(3, "1 3 4 10 0 1000 10 0 9", 3, "names node 9, but the last id is 4", id="range"),
    pytest.param(
        5,
        "3 0 5 -10 0 1000 10 2 0",
        3,
        "pickup 1 names delivery 3, whose pickup field is 2",
        id="pairing",
    ),
    pytest.param(
        3,
        "1 3 4 10 0 1000 10 0 4",
        3,
        "pickup 1 names delivery 4, whose pickup field is 2",
        id="pairing-2",
    ),
    pytest.param(5, "3 0 5 -7 0 1000 10 1 0", 3, "its delivery 3 q=-7", id="q"),
    pytest.param(
        3, "1 3 4 10 0 1000 10 0 1.5", 3, "field d must be a non-negative integer", id="d"
    ),
    pytest.param(4, "3 6 8 5 0 1000 10 0 4", 4, "node id 3 out of order (expected 2)", id="id"),
]


@pytest.mark.parametrize(("line", "new", "bad_line", "reason"), LI_LIM_BREAKS)
def test_bad_li_lim(tmp_path: Path, line: int, new: str, bad_line: int, reason: str) -> None:
    """A broken line of a Li & Lim file raises InstanceFormatError naming file, line and reason."""
    text = _replace_line(TINY_LI_LIM, line, "\t".join(new.split()))
    path = _write(tmp_path, text)
    with pytest.raises(InstanceFormatError) as caught:
        read_li_lim(path)
    assert caught.value.line == bad_line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}, line {bad_line}: ")


def test_blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    """Blank lines are skipped, but errors still name the line as an editor shows it."""
    text = TINY_CORDEAU.replace("\n", "\n\n", 1).replace("-1 60 75", "-1 x 75")
    with pytest.raises(InstanceFormatError) as caught:
        read_cordeau(_write(tmp_path, text))
    assert caught.value.line == 5


READERS: list[Callable[[Path], object]] = [read_cordeau, read_li_lim, read_instance, read_bks]


@pytest.mark.parametrize("reader", READERS, ids=lambda f: f.__name__)
def test_missing_and_empty_files(tmp_path: Path, reader: Callable[[Path], object]) -> None:
    """A missing file, a folder and an empty file raise InstanceFormatError, not OSError."""
    for path, reason in (
        (tmp_path / "nope.txt", "no such file"),
        (tmp_path, "cannot read"),
        (_write(tmp_path, "\n  \n", "empty.txt"), "empty file"),
    ):
        with pytest.raises(InstanceFormatError) as caught:
            reader(path)
        assert caught.value.line is None
        assert str(caught.value).startswith(f"{path}: {reason}")


def test_read_instance_kind(tmp_path: Path) -> None:
    """An explicit kind overrides detection; an unknown kind or first line is refused."""
    cordeau = _write(tmp_path, TINY_CORDEAU, "c.txt")
    with pytest.raises(InstanceFormatError, match="line 1: expected 3 fields"):
        read_instance(cordeau, kind="pdptw")
    with pytest.raises(ValueError, match="kind must be 'darp' or 'pdptw'"):
        read_instance(cordeau, kind="cvrp")  # type: ignore[arg-type]
    odd = _write(tmp_path, "1 2 3 4\n0 0 0 0\n", "odd.txt")
    with pytest.raises(InstanceFormatError, match="cannot tell the format"):
        read_instance(odd)


BKS_BREAKS = [
    pytest.param("instance,cost,vehicles\na,1,2\n", 1, "missing column(s) bks_cost", id="column"),
    pytest.param("instance,bks_cost,vehicles\na,1,2\nb,x,2\n", 3, "not a number", id="cost"),
    pytest.param("instance,bks_cost,vehicles\na,1,2.5\n", 2, "field vehicles", id="vehicles"),
    pytest.param("instance,bks_cost,vehicles\na,1,2\na,1,2\n", 3, "listed twice", id="twice"),
    pytest.param("instance,bks_cost,vehicles\na,-1,2\n", 2, "negative bks_cost", id="negative"),
    pytest.param(
        "instance,bks_cost,vehicles\na,1\n", 2, "field vehicles is not a number", id="short"
    ),
]


@pytest.mark.parametrize(("text", "bad_line", "reason"), BKS_BREAKS)
def test_bad_bks(tmp_path: Path, text: str, bad_line: int, reason: str) -> None:
    """A malformed BKS.csv row raises InstanceFormatError naming its line."""
    path = _write(tmp_path, text, "BKS.csv")
    with pytest.raises(InstanceFormatError) as caught:
        read_bks(path)
    assert caught.value.line == bad_line
    assert reason in caught.value.reason


def test_error_survives_pickling(tmp_path: Path) -> None:
    """InstanceFormatError pickles with its path, line and reason (process pools, xdist)."""
    error = InstanceFormatError(tmp_path / "x.txt", 3, "bad")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.line, copy.reason, str(copy)) == (error.path, 3, "bad", str(error))
    assert isinstance(copy, ValueError)


def test_tiny_pr(tmp_path: Path) -> None:
    """The 'pr' layout: N stops, one depot that starts and ends every route."""
    problem = read_instance(_write(tmp_path, TINY_PR, "pr99.txt"))
    assert (problem.n_nodes, problem.n_requests, problem.n_vehicles) == (5, 2, 2)
    assert_array_equal(problem.pickups, [1, 2])
    assert_array_equal(problem.deliveries, [3, 4])
    assert_array_equal(problem.vehicle_start, [0, 0])
    assert_array_equal(problem.vehicle_end, [0, 0])
    assert_array_equal(problem.capacity, [[6.0], [6.0]])
    assert_array_equal(problem.max_ride_time, [90.0, 90.0])
    assert_array_equal(problem.max_route_duration, [480.0, 480.0])
    assert_array_equal(problem.shift_end, [1440.0, 1440.0])
    assert problem.travel_time[1, 2] == pytest.approx(5.0)


def test_tiny_b_variant(tmp_path: Path) -> None:
    """The 'b' variant reads with the same code: groups, service = load, capacity 6."""
    problem = read_cordeau(_write(tmp_path, TINY_B, "b1-1.txt"))
    assert_array_equal(problem.demand[:, 0], [0, 4, -4, 0])
    assert_array_equal(problem.service_time, [0, 4, 4, 0])
    assert_array_equal(problem.capacity, [[6.0]])
    assert_array_equal(problem.max_ride_time, [45.0])


def test_pr_with_a_wrong_line_count_is_refused(tmp_path: Path) -> None:
    """A 'pr' file missing a node line matches neither layout and names the count."""
    text = "".join(TINY_PR.splitlines(keepends=True)[:-1])
    with pytest.raises(InstanceFormatError, match="node lines"):
        read_cordeau(_write(tmp_path, text, "pr98.txt"))


@pytest.mark.parametrize("path", _files(PR))
def test_pr_instances(path: Path) -> None:
    """pr01: 3 vehicles, 24 requests, duration 480, capacity 6, ride time 90, one depot."""
    problem = read_instance(path)
    assert (problem.n_vehicles, problem.n_requests, problem.n_nodes) == (3, 24, 49)
    assert_array_equal(problem.vehicle_start, 0)
    assert_array_equal(problem.vehicle_end, 0)
    assert_array_equal(problem.capacity, 6.0)
    assert_array_equal(problem.max_ride_time, 90.0)
    assert_array_equal(problem.max_route_duration, 480.0)
    assert_array_equal(problem.service_time[1:], 10.0)
    assert_array_equal(problem.demand[1:25, 0], 1.0)
    assert_array_equal(problem.demand[25:, 0], -1.0)
    assert "pr01" in read_bks(path.parent / "BKS.csv")
