"""Shared by the benchmark scripts: machine description, Markdown tables, BENCHMARKS.md sections."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numba

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "BENCHMARKS.md"
REPORT_HEADER = (
    "# Benchmarks\n\nMeasured by the scripts in `benchmarks/`; each section names the command\n"
    "that produced it and the machine it ran on.\n"
)


def machine(libraries: Sequence[str]) -> str:
    """CPU, cores, RAM, OS and library versions, one line."""
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpuinfo = {key.strip(): value.strip() for key, _, value in (ln.partition(":") for ln in lines)}
    cpu = (
        f"{cpuinfo.get('model name', platform.processor())} "
        f"(family {cpuinfo.get('cpu family', '?')}, model {cpuinfo.get('model', '?')})"
    )
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ", ".join(f"{p} {version(p)}" for p in libraries)
    return (
        f"{cpu}, {os.cpu_count()} cores (numba threads: {numba.get_num_threads()}), "
        f"{ram:.1f} GiB RAM, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, {libs}"
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(heading: str, section: str, path: Path = REPORT) -> None:
    """Replace the section starting with ``heading`` (or append it), keeping the rest."""
    text = path.read_text() if path.exists() else REPORT_HEADER
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = (
            pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1).rstrip("\n") + "\n"
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.write_text(text)
