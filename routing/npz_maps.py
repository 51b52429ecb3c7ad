"""Arrays of an uncompressed ``.npz`` file, memory-mapped instead of read.

``np.load`` reads every member of a ``.npz`` file into the process's own memory. The
compiled graphs and contraction hierarchies in the cache are written uncompressed
(``np.savez``), so each member's data lies as-is in the file: mapped copy-on-write, its
pages come from the operating system's file cache and are shared by every process that
maps the same file (the ETA workers, the solver and the server of one service), instead
of one private copy each. Writing to a mapped array stays private to the process.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.lib import format as npy_format
from numpy.typing import NDArray

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # a ZIP member's local file header
_LOCAL_SIGNATURE = b"PK\x03\x04"
_HEADER_READERS = {
    (1, 0): npy_format.read_array_header_1_0,
    (2, 0): npy_format.read_array_header_2_0,
}


def load_npz(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """The arrays ``names`` of the ``.npz`` file ``path``: memory-mapped where stored
    uncompressed, read otherwise (e.g. a file written by ``np.savez_compressed``).

    Raises ``OSError``, ``KeyError`` (a missing member), ``ValueError`` or
    ``zipfile.BadZipFile`` for a file that is not a valid archive of these arrays.
    """
    arrays: dict[str, Any] = {}  # arrays, typed Any: they become fields of dataclasses
    with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        for name in names:
            info = archive.getinfo(f"{name}.npy")
            array = (
                _mapped(path, handle, info) if info.compress_type == zipfile.ZIP_STORED else None
            )
            if array is None:
                with archive.open(info) as member:
                    array = npy_format.read_array(member, allow_pickle=False)
            arrays[name] = array
    return arrays


def _mapped(path: Path, handle: Any, info: zipfile.ZipInfo) -> NDArray[Any] | None:
    """The member ``info`` mapped copy-on-write, or None if its layout cannot be mapped."""
    handle.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
    if fields[0] != _LOCAL_SIGNATURE:
        msg = f"{path}: bad local header for member {info.filename}"
        raise zipfile.BadZipFile(msg)
    name_length, extra_length = fields[-2], fields[-1]
    handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    reader = _HEADER_READERS.get(npy_format.read_magic(handle))
    if reader is None:
        return None
    shape, fortran_order, dtype = reader(handle)
    if dtype.hasobject:
        msg = f"{path}: member {info.filename} holds Python objects"
        raise ValueError(msg)
    if int(np.prod(shape)) == 0 or not shape:
        return None  # nothing to map, or a scalar: read
    offset = int(handle.tell())
    order: Literal["F", "C"] = "F" if fortran_order else "C"
    array = np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=shape, order=order)
    return np.asarray(array)
