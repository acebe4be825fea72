"""The README's quick start, as a user meets it: jobq installed from its wheel into
a fresh virtualenv, ``tasks.py`` in a fresh directory, the ``jobq`` console script
started there. rq's worker puts the current directory on the import path
(``--path``, default ``.``); so does jobq's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

TASKS = """
from jobq import job

@job("default")
def count_words(text: str) -> int:
    return len(text.split())
"""

PRODUCER = """
import sys
from jobq import Queue
from jobq.connection import from_url
from tasks import count_words

queue = Queue("default", connection=from_url(sys.argv[1]))
job = queue.enqueue(count_words, "to be or not to be")
print(job.id)
"""

CHECK = """
import sys
from jobq import Job
from jobq.connection import from_url

print(Job.fetch(sys.argv[2], from_url(sys.argv[1])).wait(timeout=10))
"""


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(where), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = where.glob("jobq-*.whl")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=600,
    )
    return venv


def test_readme_quick_start_runs_from_a_wheel_in_a_fresh_directory(
    wheel_venv: Path, tmp_path: Path, redis_url: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "tasks.py").write_text(textwrap.dedent(TASKS))
    python, jobq = str(wheel_venv / "bin" / "python"), str(wheel_venv / "bin" / "jobq")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args: str) -> str:
        done = subprocess.run(
            args, cwd=project, env=env, capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout.strip()

    (project / "producer.py").write_text(PRODUCER)
    job_id = run(python, "producer.py", redis_url)
    run(jobq, "worker", "--burst", "--url", redis_url)
    (project / "check.py").write_text(CHECK)
    assert run(python, "check.py", redis_url, job_id) == "6"
