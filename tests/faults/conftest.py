"""The fault scripts' small versions. Each starts its own embedded PostgreSQL (the one
these faults kill) and its own `forum serve`: never the server other tests share."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
