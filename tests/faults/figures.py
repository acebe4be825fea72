"""Figures of the fault and fuzz suites, one JSON file per test under var/faults/."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import ROOT

FIGURES = ROOT / "var" / "faults"


def record(name: str, figures: dict[str, Any]) -> None:
    """Write one test's figures to var/faults/<name>.json and show them with ``-s``."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    (FIGURES / f"{safe}.json").write_text(json.dumps(figures, indent=1, sort_keys=True))
    print(f"\n{name}: {figures}")
