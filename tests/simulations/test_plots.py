"""The simulation reports' plot modules switch no matplotlib backend at import."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_the_reports_leaves_the_backend_alone() -> None:
    """Importing the history and day reports neither imports pyplot nor changes the backend."""
    code = (
        "import sys, matplotlib, simulations.report, simulations.day_report; "
        "assert 'matplotlib.pyplot' not in sys.modules; "
        "assert matplotlib.rcParams['backend'] == 'svg', matplotlib.rcParams['backend']"
    )
    env = {**os.environ, "MPLBACKEND": "svg", "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
