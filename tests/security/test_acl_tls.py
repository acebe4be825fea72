"""A Redis that asks for a username and password (ACL) and speaks only TLS, with
certificates the test makes: enqueue, a worker process and the result all go through
``rediss://user:password@host:port/0?ssl_ca_certs=...``; the ACL user can do what
jobq needs and nothing else."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import trustme

from jobq import Queue
from jobq.connection import from_url
from jobq.embedded import EmbeddedRedis, free_port
from tests.conftest import Processes
from tests.fixtures import jobs
from tests.helpers import redis_server_version

# the documented ACL line takes away two SCRIPT subcommands, a rule Redis 7 added
_NEEDS_REDIS_7 = pytest.mark.skipif(
    redis_server_version() < (7, 0), reason="subcommand ACL rules need Redis >= 7.0"
)


pytestmark = [pytest.mark.slow, _NEEDS_REDIS_7]

#: what jobq needs: its own keys and channels, reads, writes, scripts, blocking pops,
#: INFO (version check); no admin, no dangerous commands, no other keys
ACL = (
    "user default off\n"
    "user jobq on >s3cret resetchannels ~jobq:* &jobq:* -@all +@read +@write +@scripting +@connection"
    " +@transaction +@blocking -@dangerous +info"
    " -script|flush -script|kill\n"
)


class TLSRedis(EmbeddedRedis):
    """TLS only (``--port 0``): readiness is checked with a TLS client."""

    def __init__(self, data_dir: Path, certs: dict[str, Path], acl: Path) -> None:
        super().__init__(
            data_dir,
            extra_args=[
                "--port", "0",
                "--tls-port", str(free_port()),
                "--tls-cert-file", str(certs["cert"]),
                "--tls-key-file", str(certs["key"]),
                "--tls-ca-cert-file", str(certs["ca"]),
                "--tls-auth-clients", "no",
                "--aclfile", str(acl),
            ],
        )  # fmt: skip
        self.tls_port = int(self.extra_args[3])
        self.ca = certs["ca"]

    def url_for(self, user: str, password: str) -> str:
        return f"rediss://{user}:{password}@127.0.0.1:{self.tls_port}/0?ssl_ca_certs={self.ca}"

    def start(self, timeout: float = 10.0) -> TLSRedis:
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        probe = redis.Redis.from_url(self.url_for("jobq", "s3cret"), socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.data_dir / "redis.log").read_text()
            try:
                if probe.ping():
                    probe.close()
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the TLS redis-server did not answer")


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[TLSRedis]:
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    certs = {"ca": tmp_path / "ca.pem", "cert": tmp_path / "cert.pem", "key": tmp_path / "key.pem"}
    ca.cert_pem.write_to_path(str(certs["ca"]))
    server_cert.cert_chain_pems[0].write_to_path(str(certs["cert"]))
    server_cert.private_key_pem.write_to_path(str(certs["key"]))
    acl = tmp_path / "users.acl"
    acl.write_text(ACL)
    server = TLSRedis(tmp_path / "redis", certs, acl).start()
    yield server
    server.close()


def test_enqueue_worker_and_result_over_tls_with_an_acl_user(
    tls_redis: TLSRedis, tmp_path: Path
) -> None:
    url = tls_redis.url_for("jobq", "s3cret")
    conn = from_url(url)
    queue = Queue(connection=conn)
    job = queue.enqueue(jobs.add, 20, 22)
    scheduled = queue.enqueue_in(dt.timedelta(seconds=0.2), jobs.add, 1, 1)
    procs = Processes(url, tmp_path)
    try:
        worker = procs.worker("--concurrency", "2", "--with-scheduler")
        assert job.wait(timeout=30) == 42
        assert scheduled.wait(timeout=30) == 2
        assert worker.poll() is None, procs.log(worker)
    finally:
        procs.stop_all()
    assert "NOPERM" not in procs.log(worker)
    conn.close()


def test_the_acl_user_can_do_only_what_jobq_needs(tls_redis: TLSRedis) -> None:
    conn = from_url(tls_redis.url_for("jobq", "s3cret"))
    with pytest.raises(redis.exceptions.NoPermissionError):
        conn.set("not-jobq", 1)
    with pytest.raises(redis.exceptions.NoPermissionError):
        conn.flushall()
    with pytest.raises(redis.exceptions.NoPermissionError):
        conn.config_get("dir")
    conn.close()


def test_wrong_password_plain_text_and_unknown_ca_are_refused(
    tls_redis: TLSRedis, tmp_path: Path
) -> None:
    with pytest.raises(redis.exceptions.AuthenticationError):
        from_url(tls_redis.url_for("jobq", "wrong")).ping()
    with pytest.raises(redis.ConnectionError):
        from_url(f"redis://jobq:s3cret@127.0.0.1:{tls_redis.tls_port}/0", retry=None).ping()
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        from_url(
            f"rediss://jobq:s3cret@127.0.0.1:{tls_redis.tls_port}/0?ssl_ca_certs={other}",
            retry=None,
        ).ping()
