"""Clients from URLs and settings dicts (jobq.connection, RQ_QUEUES), and what is
particular to a cluster: one slot per queue, queues spread over the primaries,
workers of several queues in several slots, admin counts across nodes."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster

from jobq import Queue, SimpleWorker, transitions
from jobq.cli.info import collect
from jobq.connection import (
    RedisSettings,
    from_settings,
    from_url,
    parse_settings,
    parse_url,
)
from jobq.exceptions import ConfigurationError
from jobq.keys import QueueKeys
from jobq.scripts import execute_pipeline
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs

from .servers import LocalCluster, SentinelSetup

# -- parsing (no server) -----------------------------------------------------------------


def test_sentinel_url() -> None:
    s = parse_url("redis+sentinel://u:p%40ss@h1:26379,h2:26380/mymaster/2?socket_timeout=3")
    assert (s.kind, s.nodes, s.master_name, s.db) == (
        "sentinel",
        (("h1", 26379), ("h2", 26380)),
        "mymaster",
        2,
    )
    assert (s.username, s.password, s.socket_timeout) == ("u", "p@ss", 3.0)
    tls = parse_url("rediss+sentinel://h:1/m?sentinel_password=x")
    assert tls.ssl and tls.db == 0 and dict(tls.sentinel_kwargs) == {"password": "x"}


def test_cluster_url() -> None:
    s = parse_url("redis+cluster://:secret@10.0.0.1:7000,10.0.0.2:7001/0")
    assert (s.kind, s.nodes, s.password, s.ssl) == (
        "cluster",
        (("10.0.0.1", 7000), ("10.0.0.2", 7001)),
        "secret",
        False,
    )
    assert parse_url("rediss+cluster://h:7000").ssl


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h:1", "use redis://"),
        ("redis+sentinel://h:1", "name the master"),
        ("redis+sentinel://h:x/m", "bad port"),
        ("redis+cluster://h:1/3", "only db 0"),
        ("redis+cluster://", "no host:port"),
        ("redis+cluster://h:1?bogus=1", "unknown option(s) bogus"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        parse_url(url)


def test_settings_dicts_use_django_rqs_names() -> None:
    assert parse_settings({"URL": "redis://h:1/0"}).kind == "url"
    sentinel = parse_settings(
        {
            "SENTINELS": [("h", 26379)],
            "MASTER_NAME": "m",
            "DB": 1,
            "SOCKET_TIMEOUT": 0.5,
            "CONNECTION_KWARGS": {"client_name": "x"},
            "SENTINEL_KWARGS": {"password": "s"},
        }
    )
    assert sentinel == RedisSettings(
        "sentinel",
        nodes=(("h", 26379),),
        master_name="m",
        db=1,
        socket_timeout=0.5,
        client_kwargs=(("client_name", "x"),),
        sentinel_kwargs=(("password", "s"),),
    )
    cluster = parse_settings({"HOST": "h", "PORT": 7000, "CLUSTER": True})
    assert (cluster.kind, cluster.nodes) == ("cluster", (("h", 7000),))
    from_url_setting = parse_settings({"URL": "redis://:pw@h:7000/0", "CLUSTER": True})
    assert (from_url_setting.kind, from_url_setting.password) == ("cluster", "pw")
    with pytest.raises(ConfigurationError, match="only db 0"):
        parse_settings({"HOST": "h", "PORT": 1, "DB": 2, "CLUSTER": True})
    with pytest.raises(ConfigurationError, match="MASTER_NAME"):
        parse_settings({"SENTINELS": [("h", 1)]})
    with pytest.raises(ConfigurationError, match="list of \\(host, port\\) pairs"):
        parse_settings({"SENTINELS": "h:1", "MASTER_NAME": "m"})
    with pytest.raises(ConfigurationError, match="unknown Redis setting 'HSOT'"):
        parse_settings({"HSOT": "h"})


def test_host_settings_from_the_environment() -> None:
    """``os.environ.get(...)`` gives None or a string: None is the default, a string a number."""
    unset = parse_settings({"HOST": None, "PORT": None, "DB": None})
    assert (unset.host, unset.port, unset.db) == ("localhost", 6379, 0)
    given = parse_settings({"HOST": "h", "PORT": "6380", "DB": "2"})
    assert (given.host, given.port, given.db) == ("h", 6380, 2)
    with pytest.raises(ConfigurationError, match="PORT must be a whole number, got 'abc'"):
        parse_settings({"HOST": "h", "PORT": "abc"})
    with pytest.raises(ConfigurationError, match="DB must not be negative"):
        parse_settings({"HOST": "h", "DB": -1})


def test_rq_queues_entries_with_cluster() -> None:
    conf = pytest.importorskip("jobq.django_integration.conf")
    entry = conf.parse_queue("q", {"URL": "redis://h:7000", "CLUSTER": True})
    assert entry.connection.settings == RedisSettings("cluster", nodes=(("h", 7000),))
    assert entry.ignored == ()
    host = conf.parse_queue("q", {"HOST": "h", "PORT": 7000, "CLUSTER": True})
    assert host.connection.settings == RedisSettings("cluster", nodes=(("h", 7000),))
    url = conf.parse_queue("q", {"URL": "redis+cluster://h:7000,h:7001"})
    assert url.connection.settings == parse_url("redis+cluster://h:7000,h:7001")
    with pytest.raises(conf.ImproperlyConfigured, match="CLUSTER"):
        conf.parse_queue("q", {"HOST": "h", "PORT": 1, "DB": 3, "CLUSTER": True})
    with pytest.raises(conf.ImproperlyConfigured, match="must be True or False"):
        conf.parse_queue("q", {"URL": "redis://h:1", "CLUSTER": "yes"})


# -- against the servers --------------------------------------------------------------------


def _roundtrip(connection: redis.Redis, name: str = "default") -> None:
    queue = Queue(name, connection=connection)
    job = queue.enqueue(jobs.add, 2, 3)
    SimpleWorker([queue], connection).work(burst=True)
    assert job.result == 5


def test_rq_queues_cluster_and_sentinel_entries_build_working_clients(
    local_cluster: LocalCluster, sentinel_setup: SentinelSetup
) -> None:
    pytest.importorskip("django")
    from jobq.django_integration import conf, connections

    local_cluster.flush()
    sentinel_setup.flush()
    port = local_cluster.ports[1]
    entries: dict[str, dict[str, Any]] = {
        "cluster_url": {"URL": f"redis://127.0.0.1:{port}/0", "CLUSTER": True},
        "cluster_host": {"HOST": "127.0.0.1", "PORT": port, "CLUSTER": True},
        "cluster_scheme": {"URL": local_cluster.url},
        "sentinel": {
            "SENTINELS": [("127.0.0.1", sentinel_setup.sentinel_port)],
            "MASTER_NAME": sentinel_setup.master_name,
            "SOCKET_TIMEOUT": 5,
            "CONNECTION_KWARGS": {"client_name": "jobq-test"},
            "SENTINEL_KWARGS": {"socket_timeout": 2},
        },
        "sentinel_url": {"URL": sentinel_setup.url},
    }
    for name, entry in entries.items():
        client = connections.build_client(conf.parse_queue(name, entry).connection)
        try:
            assert isinstance(client, RedisCluster) == name.startswith("cluster")
            _roundtrip(client, name)
        finally:
            client.close()


def test_from_settings_cluster(local_cluster: LocalCluster) -> None:
    local_cluster.flush()
    client = from_settings({"HOST": "127.0.0.1", "PORT": local_cluster.ports[0], "CLUSTER": True})
    assert isinstance(client, RedisCluster)
    _roundtrip(client)
    client.close()


def test_each_queue_is_one_slot_and_queues_spread_over_the_primaries(
    local_cluster: LocalCluster,
) -> None:
    client: Any = from_url(local_cluster.url)
    nodes = set()
    for n in range(8):
        k = QueueKeys(f"q{n}")
        names = [
            k.queued, k.started, k.scheduled, k.deferred, k.finished, k.failed, k.canceled,
            k.wake, k.schedules, k.schedule_due, k.job("x"), k.dependents("x"), k.notify("x"),
            k.schedule_job("s"), k.schedule_runs("s"), k.schedule_ended("s"),
        ]  # fmt: skip
        assert len({client.keyslot(name) for name in names}) == 1
        nodes.add(client.get_node_from_key(k.queued).name)
    assert len(nodes) == 3  # q0..q7 land on all three primaries
    client.close()


def test_a_worker_of_queues_on_three_nodes_wakes_for_each(
    local_cluster: LocalCluster, tmp_path: Path
) -> None:
    local_cluster.flush()
    client = from_url(local_cluster.url)
    names = ["q0", "q1", "q2", "q5"]  # on all three primaries (see the test above)
    processes = Processes(local_cluster.url, tmp_path)
    try:
        processes.worker(*names, "--verbose")
        wait_until(lambda: client.zcard("jobq:workers") > 0)
        time.sleep(0.5)  # idle: blocking on q0's node, polling the others
        for name in reversed(names):
            began = time.monotonic()
            job = Queue(name, connection=client).enqueue(jobs.add, 1, 1)
            assert job.wait(timeout=10) == 2
            assert time.monotonic() - began < 1.0, name
    finally:
        processes.stop_all()
        client.close()


def test_admin_counts_across_nodes(local_cluster: LocalCluster) -> None:
    local_cluster.flush()
    client = from_url(local_cluster.url)
    for n in range(4):
        q = Queue(f"q{n}", connection=client)
        for _ in range(n + 1):
            q.enqueue(jobs.add, 1, 2)
        q.enqueue(jobs.fail)
        q.enqueue_in(dt.timedelta(hours=1), jobs.noop)
        SimpleWorker([q], client).work(burst=True)
        q.enqueue(jobs.noop)
    stats = collect(client)
    assert sorted(stats["queues"]) == ["q0", "q1", "q2", "q3"]
    for n in range(4):
        row = stats["queues"][f"q{n}"]
        assert (row["queued"], row["finished"], row["failed"], row["scheduled"]) == (
            1,
            n + 1,
            1,
            1,
        )
    failed = Queue("q2", connection=client).failed_job_registry.get_job_ids()
    assert Queue("q2", connection=client).fetch_job(failed[0]).get_status() == JobStatus.FAILED  # type: ignore[union-attr]
    client.close()


def test_a_pipeline_of_script_calls_on_three_nodes_reloads_scripts_where_missing(
    local_cluster: LocalCluster,
) -> None:
    local_cluster.flush()  # SCRIPT FLUSH on every primary
    client = from_url(local_cluster.url)
    pipe = client.pipeline(transaction=False)
    names = ["q0", "q1", "q5"]  # one per primary
    for name in names:
        fields = {"func": "tests.fixtures.jobs.noop", "queue": name}
        transitions.enqueue(pipe, QueueKeys(name), f"id-{name}", fields, now=transitions.now_ms())
    assert [int(c) for c in execute_pipeline(client, pipe)] == [1, 1, 1]
    assert [client.llen(QueueKeys(n).queued) for n in names] == [1, 1, 1]
    client.close()
