"""Installing jobq prints nothing about the package's own metadata: no deprecated
license table, no data folder missing from the ``packages`` list (issue 22)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

#: what setuptools says when pyproject.toml is out of date or incomplete
COMPLAINTS = ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "is absent from the")


def test_building_the_wheel_prints_no_setuptools_warning(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    said = build.stdout + build.stderr
    complaints = [line for line in said.splitlines() if any(c in line for c in COMPLAINTS)]
    assert complaints == []
    (wheel,) = tmp_path.glob("jobq-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "jobq/lua/includes/terminal.lua" in names
    assert "jobq/django_integration/templates/jobq/job.html" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    assert "License-Expression: BSD-3-Clause" in zipfile.ZipFile(wheel).read(metadata).decode()
