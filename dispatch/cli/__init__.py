"""The ``dispatch`` command line: the application's composition root.

It wires the simulated world (``simulations``) to the models and the dispatch engine,
which is why it is the one module allowed to import every package. Subcommands stay
thin: parse, call the library, print. ``main(argv)`` is callable from tests.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import routing
from dispatch.exceptions import DispatchError
from models.exceptions import ModelsError
from simulations.exceptions import SimulationError

from . import (
    audit_commands,
    bench_commands,
    db_commands,
    eta_commands,
    fleet_commands,
    graph_commands,
    history_commands,
    keys_commands,
    purge_commands,
    serve_commands,
    simulate_commands,
    sweep_commands,
)
from ._common import UsageError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dispatch`` command."""
    parser = argparse.ArgumentParser(prog="dispatch", description="NEMT dispatch engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (
        graph_commands,
        history_commands,
        eta_commands,
        bench_commands,
        serve_commands,
        db_commands,
        keys_commands,
        audit_commands,
        purge_commands,
        simulate_commands,
        sweep_commands,
        fleet_commands,
    ):
        module.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (2 for bad input)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (routing.RoutingError, ModelsError, DispatchError, SimulationError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
