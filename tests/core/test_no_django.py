"""``import jobq`` (and every module a plain worker loads) never imports Django."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_import_jobq_does_not_import_django() -> None:
    code = (
        "import sys\n"
        "import jobq, jobq.cli, jobq.worker, jobq.testing, jobq.hooks, jobq.scheduler\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
