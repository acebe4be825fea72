"""The ACL user documented in docs/reliability.md is enough for every jobq process
in the ways they really run: a worker that sits idle (its dequeue queued behind a
blocking pop) before work comes, a scheduler, and each CLI command."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from jobq import Queue, Worker
from jobq.connection import from_url
from jobq.embedded import EmbeddedRedis
from tests.conftest import ROOT, Processes, _env, wait_until
from tests.fixtures import jobs
from tests.helpers import redis_server_version

# the documented ACL line takes away two SCRIPT subcommands, a rule Redis 7 added
_NEEDS_REDIS_7 = pytest.mark.skipif(
    redis_server_version() < (7, 0), reason="subcommand ACL rules need Redis >= 7.0"
)


pytestmark = [pytest.mark.slow, _NEEDS_REDIS_7]


def documented_acl() -> str:
    """The ``user jobq ...`` line of docs/reliability.md, as a user would copy it."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    match = re.search(r"^\s*(user jobq on .*)$", text, re.MULTILINE)
    assert match, "docs/reliability.md no longer documents the ACL user"
    return match.group(1).replace(">PASSWORD", ">s3cret")


#: the line as documented up to jobq 16: TIME (only in @fast) not granted
WITHOUT_TIME = (
    "user jobq on >s3cret resetchannels ~jobq:* &jobq:* -@all +@read +@write +@scripting +@connection"
    " +@transaction +@blocking -@dangerous +info -script|flush -script|kill"
)


@pytest.fixture(params=["documented", "without TIME"])
def acl_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    line = documented_acl() if request.param == "documented" else WITHOUT_TIME
    acl = tmp_path / "users.acl"
    # the default user may only PING (the harness's readiness probe)
    acl.write_text(f"user default on nopass -@all +ping\n{line}\n")
    server = EmbeddedRedis(tmp_path / "redis", extra_args=["--aclfile", str(acl)]).start()
    yield f"redis://jobq:s3cret@127.0.0.1:{server.port}/0"
    server.close()


def cli(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jobq", "--url", url, *args],
        env=_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, out
    assert "NOPERM" not in out and "Traceback" not in out, out
    return out


def test_an_idle_worker_a_scheduler_and_the_cli_work_as_the_acl_user(
    acl_url: str, tmp_path: Path
) -> None:
    conn = from_url(acl_url)
    queue = Queue(connection=conn)
    procs = Processes(acl_url, tmp_path)
    try:
        worker = procs.worker("--concurrency", "1")
        scheduler = procs.start("scheduler", "--interval", "0.2")
        wait_until(lambda: len(Worker.all(conn)) == 1, timeout=60)
        for n in range(3):
            time.sleep(1.5)  # idle: its dequeue waits behind the blocking pop
            began = time.monotonic()
            assert queue.enqueue(jobs.add, n, 1).wait(timeout=10) == n + 1
            # woken at once, not after an executor died and a new one started
            assert time.monotonic() - began < 0.5
        later = queue.enqueue_in(dt.timedelta(seconds=0.3), jobs.add, 2, 2)
        assert later.wait(timeout=10) == 4
        failed = queue.enqueue(jobs.fail)
        wait_until(lambda: failed.get_status() == "failed", timeout=10)
        cli(acl_url, "enqueue", "tests.fixtures.jobs.add", "--args", "[5, 5]")
        assert "default" in cli(acl_url, "info")
        cli(acl_url, "info", "--json")
        cli(acl_url, "requeue", "--all")
        cli(acl_url, "suspend")
        cli(acl_url, "resume")
        cli(acl_url, "empty", "default")
        for proc in (worker, scheduler):
            assert proc.poll() is None, procs.log(proc)
            assert "NOPERM" not in procs.log(proc), procs.log(proc)
            assert "died" not in procs.log(proc), procs.log(proc)
    finally:
        procs.stop_all()
        conn.close()


def test_the_documented_user_cannot_reach_other_keys(acl_url: str) -> None:
    conn = from_url(acl_url)
    with pytest.raises(redis.exceptions.NoPermissionError):
        conn.set("not-jobq", 1)
    with pytest.raises(redis.exceptions.NoPermissionError):
        conn.config_get("dir")
    conn.close()
