"""Readers for the literature benchmark instances: Cordeau DARP and Li & Lim PDPTW.

Both formats become a :class:`PdpProblem` in the files' own units (minutes, Euclidean
distance = travel time = cost, in double precision). ``../shared/data/README.md`` describes
the formats and the model their best-known solutions assume.

Depots: a Cordeau (2006) file ('a' and 'b' instances) has distinct start and end depots
(nodes ``0`` and ``2n+1``). A Cordeau & Laporte (2003) 'pr' file and a Li & Lim file have
one depot, node ``0``, which is kept as both the start and the end of every vehicle
(``vehicle_start == vehicle_end == 0``), so node indices equal the file's ids; a route is
``[0, ..., 0]``.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .exceptions import InstanceFormatError
from .problem import PdpProblem

StrPath = str | os.PathLike[str]
InstanceKind = Literal["darp", "pdptw"]


@dataclass(frozen=True)
class _Layout:
    """What a format states: its field names and which header fields are counts or limits.

    Node lines are ``id x y ... q e l ...`` in both formats (coordinates, load change, time
    window); ``service`` names the field with the service time.
    """

    header: tuple[str, ...]
    counts: tuple[str, ...]  # non-negative integers
    limits: tuple[str, ...]  # non-negative numbers
    node: tuple[str, ...]
    service: str


@dataclass(frozen=True)
class _Nodes:
    """A file's node lines: their line numbers and each field's column by its name."""

    lines: list[int]
    column: dict[str, NDArray[np.float64]]
    service: NDArray[np.float64]


_CORDEAU = _Layout(
    header=("K", "n", "T", "Q", "L"),
    counts=("K", "n"),
    limits=("T", "Q", "L"),
    node=("id", "x", "y", "d", "q", "e", "l"),
    service="d",
)
_LI_LIM = _Layout(
    header=("K", "Q", "S"),
    counts=("K",),
    limits=("Q",),
    node=("id", "x", "y", "q", "e", "l", "s", "p", "d"),
    service="s",
)
_BKS_COLUMNS = ("instance", "bks_cost", "vehicles")

_Rows = list[tuple[int, list[str]]]


def read_cordeau(path: StrPath) -> PdpProblem:
    """Read a Cordeau (2006) or Cordeau & Laporte (2003) 'pr' dial-a-ride instance.

    2006 ('a', 'b'): line 1 is ``K n T Q L``, then ``2n+2`` lines ``id x y d q e l``.
    Node 0 is the start depot, node ``2n+1`` the end depot, and request ``i`` (0-based) is
    the pair ``(i+1, n+i+1)``. 2003 'pr': line 1 is ``K N T Q L`` with N = 2n the stops,
    then ``N+1`` node lines; node 0 is the start and end depot, the pairs as above. The
    layout is told by the number of node lines. Every request has the ride-time limit L,
    every vehicle the capacity Q (one dimension), the route-duration limit T and the shift
    from the start depot's window opening to the end depot's closing.

    Parameters
    ----------
    path
        The instance file; the problem is named after its stem.

    Returns
    -------
    PdpProblem
        The problem in minutes, with Euclidean travel times.

    Raises
    ------
    InstanceFormatError
        If the file is missing or a line is malformed or inconsistent.
    """
    path = Path(path)
    return _cordeau_from_rows(path, _rows(path))


def read_li_lim(path: StrPath) -> PdpProblem:
    """Read a Li & Lim pickup-and-delivery instance with time windows.

    Line 1 is ``K Q S`` (S, the speed, is unused), then lines ``id x y q e l s p d`` for
    ids ``0..N``; node 0 is the depot, the start and end of all K vehicles. Pairs come from
    the ``p``/``d`` fields; requests are ordered by pickup id. No ride-time or
    route-duration limit; the shift is the depot's window.

    Parameters
    ----------
    path
        The instance file (tab separated, CRLF line endings accepted); the problem is
        named after its stem.

    Returns
    -------
    PdpProblem
        The problem with Euclidean travel times.

    Raises
    ------
    InstanceFormatError
        If the file is missing, a line is malformed, or the pairing is inconsistent.
    """
    path = Path(path)
    return _li_lim_from_rows(path, _rows(path))


def read_instance(path: StrPath, kind: InstanceKind | None = None) -> PdpProblem:
    """Read a Cordeau (``"darp"``) or Li & Lim (``"pdptw"``) instance.

    Parameters
    ----------
    path
        The instance file.
    kind
        The format; by default it is told from the first line (five numbers for Cordeau,
        three for Li & Lim).

    Returns
    -------
    PdpProblem
        The problem, as :func:`read_cordeau` or :func:`read_li_lim` builds it.

    Raises
    ------
    InstanceFormatError
        If the file cannot be read or its format cannot be told.
    ValueError
        If ``kind`` is not one of the two formats.
    """
    if kind not in (None, "darp", "pdptw"):
        msg = f"kind must be 'darp' or 'pdptw', got {kind!r}"
        raise ValueError(msg)
    path = Path(path)
    rows = _rows(path)
    if kind is None:
        line, fields = rows[0]
        if len(fields) == len(_CORDEAU.header):
            kind = "darp"
        elif len(fields) == len(_LI_LIM.header):
            kind = "pdptw"
        else:
            reason = (
                f"cannot tell the format from a first line of {len(fields)} fields "
                "(Cordeau DARP has 5: K n T Q L; Li & Lim PDPTW has 3: K Q S)"
            )
            raise InstanceFormatError(path, line, reason)
    return _cordeau_from_rows(path, rows) if kind == "darp" else _li_lim_from_rows(path, rows)


def read_bks(path: StrPath) -> dict[str, tuple[float, int]]:
    """Read a ``BKS.csv`` of best-known solutions.

    Parameters
    ----------
    path
        A CSV file with (at least) the columns ``instance, bks_cost, vehicles``.

    Returns
    -------
    dict
        Instance name -> (best-known cost, number of vehicles it uses).

    Raises
    ------
    InstanceFormatError
        If the file is missing, a column is absent, or a row is malformed or repeated.
    """
    path = Path(path)
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines())
    best: dict[str, tuple[float, int]] = {}
    try:
        missing = [c for c in _BKS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InstanceFormatError(path, 1, f"missing column(s) {', '.join(missing)}")
        for row in reader:
            line = reader.line_num
            name = (row["instance"] or "").strip()
            if not name:
                raise InstanceFormatError(path, line, "empty instance name")
            if name in best:
                raise InstanceFormatError(path, line, f"instance {name!r} listed twice")
            cost = _number(path, line, "bks_cost", row["bks_cost"] or "")
            count = _number(path, line, "vehicles", row["vehicles"] or "")
            if cost < 0:
                raise InstanceFormatError(path, line, f"negative bks_cost {cost:g}")
            best[name] = (cost, _count(path, line, "vehicles", count))
    except csv.Error as exc:
        raise InstanceFormatError(path, reader.line_num, f"bad CSV: {exc}") from exc
    return best


def _rows(path: Path) -> _Rows:
    """Non-blank lines of a file as (1-based line number, whitespace-split fields)."""
    text = _read_text(path)
    return [(i, line.split()) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _read_text(path: Path) -> str:
    """A file's text, which must not be blank."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InstanceFormatError(path, None, "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(path, None, f"cannot read: {exc}") from exc
    if not text.strip():
        raise InstanceFormatError(path, None, "empty file")
    return text


def _number(path: Path, line: int, name: str, token: str) -> float:
    """A finite float from one field, or an error naming the field."""
    try:
        value = float(token)
    except ValueError:
        raise InstanceFormatError(path, line, f"field {name} is not a number: {token!r}") from None
    if not math.isfinite(value):
        raise InstanceFormatError(path, line, f"field {name} is not finite: {token!r}")
    return value


def _count(path: Path, line: int, name: str, value: float) -> int:
    """A non-negative integer from a parsed field, or an error naming the field."""
    if value < 0 or not value.is_integer():
        raise InstanceFormatError(
            path, line, f"field {name} must be a non-negative integer, got {value:g}"
        )
    return int(value)


def _fields(path: Path, row: tuple[int, list[str]], names: tuple[str, ...]) -> list[float]:
    """The numbers of one line, which must have exactly ``len(names)`` fields."""
    line, fields = row
    if len(fields) != len(names):
        reason = f"expected {len(names)} fields ({' '.join(names)}), got {len(fields)}"
        raise InstanceFormatError(path, line, reason)
    return [_number(path, line, name, token) for name, token in zip(names, fields, strict=True)]


def _node_table(
    path: Path, rows: _Rows, names: tuple[str, ...], n_nodes: int | None
) -> NDArray[np.float64]:
    """Node lines as a float array, one row per node, ids checked to run ``0, 1, 2, ...``.

    ``n_nodes`` is the count the header announces (``None``: whatever the file holds).
    """
    if n_nodes is not None and len(rows) != n_nodes:
        if len(rows) > n_nodes:
            reason = f"extra line: the header announces {n_nodes} node lines"
            raise InstanceFormatError(path, rows[n_nodes][0], reason)
        reason = f"the header announces {n_nodes} node lines, the file has {len(rows)}"
        raise InstanceFormatError(path, 1, reason)
    if not rows:
        raise InstanceFormatError(path, None, "no node lines after the header")
    table = np.array([_fields(path, row, names) for row in rows], dtype=np.float64)
    for i, (line, _) in enumerate(rows):
        if table[i, 0] != i:
            raise InstanceFormatError(
                path, line, f"node id {table[i, 0]:g} out of order (expected {i})"
            )
    return table


def _header(path: Path, row: tuple[int, list[str]], layout: _Layout) -> dict[str, float]:
    """The header's numbers by field name, counts and limits checked."""
    line = row[0]
    values = dict(zip(layout.header, _fields(path, row, layout.header), strict=True))
    for name in layout.counts:
        values[name] = _count(path, line, name, values[name])
    for name in layout.limits:
        if values[name] < 0:
            raise InstanceFormatError(path, line, f"field {name} is negative: {values[name]:g}")
    return values


def _nodes(path: Path, rows: _Rows, layout: _Layout, n_nodes: int | None) -> _Nodes:
    """The node lines, checked: ids in order, service times non-negative, windows non-empty."""
    table = _node_table(path, rows, layout.node, n_nodes)
    lines = [line for line, _ in rows]
    column = dict(zip(layout.node, table.T, strict=True))
    service, open_, close = column[layout.service], column["e"], column["l"]
    negative = np.flatnonzero(service < 0)
    if negative.size:
        i = int(negative[0])
        raise InstanceFormatError(path, lines[i], f"negative service time {service[i]:g}")
    empty = np.flatnonzero(open_ > close)
    if empty.size:
        i = int(empty[0])
        reason = f"empty time window [{open_[i]:g}, {close[i]:g}]"
        raise InstanceFormatError(path, lines[i], reason)
    return _Nodes(lines, column, service)


def _problem(
    path: Path,
    nodes: _Nodes,
    pickups: NDArray[np.int64],
    deliveries: NDArray[np.int64],
    *,
    n_vehicles: int,
    capacity: float,
    end: int,
    max_ride_time: float,
    max_route_duration: float,
) -> PdpProblem:
    """A problem with Euclidean travel times and identical vehicles from depot 0 to ``end``.

    Each vehicle has one capacity dimension and the shift from node 0's window opening to
    node ``end``'s closing; every request has the same ride-time limit.
    """
    x, y, load = nodes.column["x"], nodes.column["y"], nodes.column["q"]
    open_, close = nodes.column["e"], nodes.column["l"]
    return PdpProblem(
        travel_time=np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]),
        service_time=nodes.service.copy(),
        window_open=open_.copy(),
        window_close=close.copy(),
        demand=load[:, None].copy(),
        pickups=pickups,
        deliveries=deliveries,
        max_ride_time=np.full(pickups.size, max_ride_time),
        vehicle_start=np.zeros(n_vehicles, dtype=np.int64),
        vehicle_end=np.full(n_vehicles, end, dtype=np.int64),
        capacity=np.full((n_vehicles, 1), capacity),
        shift_start=np.full(n_vehicles, open_[0]),
        shift_end=np.full(n_vehicles, close[end]),
        max_route_duration=np.full(n_vehicles, max_route_duration),
        compatible=np.ones((n_vehicles, pickups.size), dtype=np.bool_),
        name=path.stem,
    )


def _cordeau_from_rows(path: Path, rows: _Rows) -> PdpProblem:
    """The problem of a Cordeau file's lines (see :func:`read_cordeau`).

    The layout is told by the number of node lines: ``2n+2`` (2006: n requests, two
    depots) or ``N+1`` with N even (2003 'pr': N stops, one depot); any other count is
    reported against the 2006 layout.
    """
    header = _header(path, rows[0], _CORDEAU)
    announced = int(header["n"])
    single_depot = len(rows) - 1 == announced + 1 and announced % 2 == 0
    n_requests = announced // 2 if single_depot else announced
    n_lines = 2 * n_requests + 1 if single_depot else 2 * n_requests + 2
    nodes = _nodes(path, rows[1:], _CORDEAU, n_lines)
    lines, load = nodes.lines, nodes.column["q"]
    end = 0 if single_depot else 2 * n_requests + 1
    for depot in sorted({0, end}):
        if load[depot] != 0:
            raise InstanceFormatError(
                path, lines[depot], f"depot load change q={load[depot]:g}, expected 0"
            )
    pickups = np.arange(1, n_requests + 1, dtype=np.int64)
    deliveries = pickups + n_requests
    for pick, drop in zip(pickups.tolist(), deliveries.tolist(), strict=True):
        if load[pick] < 0:
            reason = f"pickup {pick} has a negative load change q={load[pick]:g}"
            raise InstanceFormatError(path, lines[pick], reason)
        if load[drop] != -load[pick]:
            reason = f"delivery {drop} has q={load[drop]:g}; its pickup {pick} has q={load[pick]:g}"
            raise InstanceFormatError(path, lines[drop], reason)
    return _problem(
        path,
        nodes,
        pickups,
        deliveries,
        n_vehicles=int(header["K"]),
        capacity=header["Q"],
        end=end,
        max_ride_time=header["L"],
        max_route_duration=header["T"],
    )


def _li_lim_from_rows(path: Path, rows: _Rows) -> PdpProblem:
    """The problem of a Li & Lim file's lines (see :func:`read_li_lim`)."""
    header = _header(path, rows[0], _LI_LIM)
    nodes = _nodes(path, rows[1:], _LI_LIM, None)
    column = nodes.column
    pickups, deliveries = _li_lim_pairs(path, nodes.lines, column["q"], column["p"], column["d"])
    return _problem(
        path,
        nodes,
        pickups,
        deliveries,
        n_vehicles=int(header["K"]),
        capacity=header["Q"],
        end=0,
        max_ride_time=np.inf,
        max_route_duration=np.inf,
    )


def _li_lim_pairs(
    path: Path,
    lines: list[int],
    load: NDArray[np.float64],
    pick_of: NDArray[np.float64],
    drop_of: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pickup and delivery node of each request from the ``p``/``d`` fields, checked both ways."""
    n_nodes = load.size
    if load[0] != 0 or pick_of[0] != 0 or drop_of[0] != 0:
        raise InstanceFormatError(path, lines[0], "the depot (id 0) must have q = p = d = 0")
    pick = [_count(path, lines[i], "p", v) for i, v in enumerate(pick_of.tolist())]
    drop = [_count(path, lines[i], "d", v) for i, v in enumerate(drop_of.tolist())]
    for i in range(1, n_nodes):
        if (pick[i] == 0) == (drop[i] == 0):
            reason = f"node {i} is neither a pickup (p = 0, d > 0) nor a delivery (p > 0, d = 0)"
            raise InstanceFormatError(path, lines[i], reason)
        sibling = drop[i] or pick[i]
        if sibling >= n_nodes:
            reason = f"node {i} names node {sibling}, but the last id is {n_nodes - 1}"
            raise InstanceFormatError(path, lines[i], reason)
        if drop[i] and pick[sibling] != i:
            reason = f"pickup {i} names delivery {sibling}, whose pickup field is {pick[sibling]}"
            raise InstanceFormatError(path, lines[i], reason)
        if pick[i] and drop[sibling] != i:
            reason = f"delivery {i} names pickup {sibling}, whose delivery field is {drop[sibling]}"
            raise InstanceFormatError(path, lines[i], reason)
        if drop[i] and (load[i] < 0 or load[sibling] != -load[i]):
            reason = (
                f"pickup {i} has q={load[i]:g} and its delivery {sibling} q={load[sibling]:g}; "
                "expected q >= 0 and opposite values"
            )
            raise InstanceFormatError(path, lines[i], reason)
    pickups = np.array([i for i in range(1, n_nodes) if drop[i]], dtype=np.int64)
    deliveries = np.array([drop[i] for i in pickups.tolist()], dtype=np.int64)
    return pickups, deliveries
