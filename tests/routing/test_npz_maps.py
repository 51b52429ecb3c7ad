"""Memory-mapped .npz arrays: the same values as np.load, pages of the file, private writes."""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import routing
from routing.npz_maps import load_npz

ARRAYS = {
    "ints": np.arange(1000, dtype=np.int32),
    "floats": np.linspace(0.0, 1.0, 777),
    "matrix": np.arange(12.0).reshape(3, 4),
    "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "bytes": np.array([1, 2, 3], dtype=np.uint8),
    "empty": np.empty(0, dtype=np.float32),
    "scalar": np.array("a text"),
}


def _mapping(array: np.ndarray) -> mmap.mmap | None:
    """The mmap an array's memory comes from, if any."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    return base


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_load_npz_gives_the_arrays_np_load_gives(tmp_path: Path, save: object) -> None:
    """Every array comes back with its values, dtype, shape and memory order."""
    path = tmp_path / "arrays.npz"
    save(path, **ARRAYS)  # type: ignore[operator]
    loaded = load_npz(path, tuple(ARRAYS))
    for name, expected in ARRAYS.items():
        assert loaded[name].dtype == expected.dtype, name
        assert loaded[name].shape == expected.shape, name
        assert_array_equal(loaded[name], expected, err_msg=name)
    assert loaded["fortran"].flags.f_contiguous
    assert type(loaded["ints"]) is np.ndarray  # no np.memmap subclass reaches numba


def test_uncompressed_members_are_mapped_copy_on_write(tmp_path: Path) -> None:
    """Arrays of an uncompressed file are views of a mapping of it; writing to one changes
    neither the file nor a second load."""
    path = tmp_path / "arrays.npz"
    np.savez(path, **ARRAYS)
    loaded = load_npz(path, ("ints", "matrix"))
    assert _mapping(loaded["ints"]) is not None
    assert _mapping(loaded["matrix"]) is not None
    loaded["ints"][:10] = -1
    assert_array_equal(load_npz(path, ("ints",))["ints"], ARRAYS["ints"])
    with np.load(path) as data:
        assert_array_equal(data["ints"], ARRAYS["ints"])


def test_compressed_members_are_read(tmp_path: Path) -> None:
    """A compressed member cannot be mapped: it is read into memory instead."""
    path = tmp_path / "arrays.npz"
    np.savez_compressed(path, **ARRAYS)
    assert _mapping(load_npz(path, ("ints",))["ints"]) is None


def test_a_missing_member_raises_key_error(tmp_path: Path) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, ints=ARRAYS["ints"])
    with pytest.raises(KeyError):
        load_npz(path, ("ints", "floats"))


def test_loaded_graph_and_hierarchy_live_in_the_cache_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, monaco: routing.RoadGraph
) -> None:
    """A graph and its contraction hierarchy read back from the cache are mappings of
    their files (pages shared between processes), and answer as the originals do."""
    monkeypatch.setenv("ROUTING_CACHE_DIR", str(tmp_path))
    built = routing.contraction_hierarchy(monaco)
    graph = routing.RoadGraph.load(monaco.save(tmp_path / "monaco.npz"))
    loaded = routing.contraction_hierarchy(graph)
    assert _mapping(graph.indices) is not None
    assert _mapping(loaded.other) is not None
    assert _mapping(loaded.arc_first) is not None
    rng = np.random.default_rng(3)
    nodes = rng.integers(0, monaco.n_nodes, 30)
    assert_array_equal(
        loaded.travel_time_matrix(nodes, nodes), built.travel_time_matrix(nodes, nodes)
    )
