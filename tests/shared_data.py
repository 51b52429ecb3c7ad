"""Where the shared data (OSM extracts, literature instances) lives: ``../shared/data``.

That is the folder beside the repository; ``NEMT_SHARED_DATA`` points elsewhere (e.g. from a
git worktree). Tests that need a file skip when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get("NEMT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
