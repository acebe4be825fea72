"""A local Redis Cluster and a Sentinel setup on free ports of 127.0.0.1, started
in a scratch directory and stopped by pid (used by tests/cluster and the benchmark)."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from jobq.embedded import EmbeddedRedis, find_redis_server, free_port


def _redis_cli() -> str:
    found = shutil.which("redis-cli")
    if not found:
        raise RuntimeError("redis-cli is needed to create a cluster (apt-get install redis-tools)")
    return found


def cluster_port() -> int:
    """A free port below 55536 whose cluster bus port (port + 10000) is free too."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            for p in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready within {timeout} s")


#: a replica's first sync starts at once (Redis waits 5 s for more replicas by default)
_REPLICATION_ARGS = ("--repl-diskless-sync-delay", "0")
_CLUSTER_ARGS = (
    "--cluster-enabled", "yes",
    "--cluster-config-file", "nodes.conf",
    "--cluster-node-timeout", "1000",
    "--cluster-replica-validity-factor", "0",
    *_REPLICATION_ARGS,
)  # fmt: skip


class LocalCluster:
    """``masters`` primaries (each with ``replicas`` replicas) made into one cluster by
    ``redis-cli --cluster create``; every node is a redis-server started by pid."""

    def __init__(self, base: Path, masters: int = 3, replicas: int = 0) -> None:
        self.base = base
        self.nodes: list[EmbeddedRedis] = []
        for _ in range(masters * (1 + replicas)):
            port = cluster_port()
            self.nodes.append(
                EmbeddedRedis(
                    base / f"node-{port}",
                    port,
                    extra_args=[*_CLUSTER_ARGS],
                )
            )
        self.replicas = replicas

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports[:3])

    def start(self) -> LocalCluster:
        for node in self.nodes:
            node.start()
        argv = [_redis_cli(), "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports)]
        argv += ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
        subprocess.run(
            argv,
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait(self.healthy, 30, "cluster")
        return self

    def healthy(self) -> bool:
        for node in self.nodes:
            if node.process is None:
                continue
            with redis.Redis(port=node.port) as r:
                info = r.execute_command("CLUSTER", "INFO").decode()
                if "cluster_state:ok" not in info:
                    return False
        return True

    def flush(self) -> None:
        for node in self.nodes:
            with redis.Redis(port=node.port) as r:
                if r.execute_command("ROLE")[0] == b"master":
                    r.flushall()
                    r.script_flush()

    def primary_ports(self) -> list[int]:
        out = []
        for node in self.nodes:
            if node.process is None:
                continue
            with redis.Redis(port=node.port) as r:
                if r.execute_command("ROLE")[0] == b"master":
                    out.append(node.port)
        return out

    def move_slot(self, slot: int, to_port: int, batch: int = 10, pause: float = 0.02) -> None:
        """Reshard one slot to the primary at ``to_port`` as redis-cli --cluster reshard
        does (IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE), slowly enough
        that clients meet ASK and TRYAGAIN on the way."""
        source_port = next(p for p in self.primary_ports() if self._owns(p, slot))
        with redis.Redis(port=source_port) as src, redis.Redis(port=to_port) as dst:
            src_id = src.execute_command("CLUSTER", "MYID").decode()
            dst_id = dst.execute_command("CLUSTER", "MYID").decode()
            dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
            src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
            while True:
                keys = src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, batch)
                if not keys:
                    break
                src.execute_command("MIGRATE", "127.0.0.1", to_port, "", 0, 5000, "KEYS", *keys)
                time.sleep(pause)
            for port in self.primary_ports():
                with redis.Redis(port=port) as r:
                    r.execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)

    def _owns(self, port: int, slot: int) -> bool:
        with redis.Redis(port=port) as r:
            for start, end, owner, *_ in r.execute_command("CLUSTER", "SLOTS"):
                if int(start) <= slot <= int(end):
                    return int(owner[1]) == port
        return False

    def node(self, port: int) -> EmbeddedRedis:
        return next(n for n in self.nodes if n.port == port)

    def close(self) -> None:
        for node in self.nodes:
            node.kill()
        shutil.rmtree(self.base, ignore_errors=True)


class SentinelSetup:
    """A master, one replica and one Sentinel (quorum 1) watching them as ``mymaster``."""

    master_name = "mymaster"

    def __init__(self, base: Path) -> None:
        self.base = base
        self.master = EmbeddedRedis(
            base / "master", free_port(), appendonly=True, extra_args=[*_REPLICATION_ARGS]
        )
        self.replica = EmbeddedRedis(
            base / "replica",
            free_port(),
            appendonly=True,
            extra_args=["--replicaof", "127.0.0.1", str(self.master.port), *_REPLICATION_ARGS],
        )
        self.sentinel_port = free_port()
        self.sentinel: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{self.master_name}/0"

    def start(self) -> SentinelSetup:
        self.master.start()
        self.replica.start()
        _wait(self._replica_in_sync, 20, "replication")
        sdir = self.base / "sentinel"
        sdir.mkdir(parents=True, exist_ok=True)
        conf = sdir / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\n"
            "bind 127.0.0.1\n"
            f"dir {sdir}\n"
            f"logfile {sdir / 'sentinel.log'}\n"
            "sentinel resolve-hostnames no\n"
            f"sentinel monitor {self.master_name} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {self.master_name} 1000\n"
            f"sentinel failover-timeout {self.master_name} 5000\n"
            f"sentinel parallel-syncs {self.master_name} 1\n"
        )
        self.sentinel = subprocess.Popen(
            [find_redis_server(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self._sentinel_knows_replica, 20, "sentinel")
        return self

    def _replica_in_sync(self) -> bool:
        with redis.Redis(port=self.replica.port) as r:
            info = r.info("replication")
            return info.get("master_link_status") == "up"

    def _sentinel_knows_replica(self) -> bool:
        with redis.Redis(port=self.sentinel_port) as s:
            replicas = s.execute_command("SENTINEL", "REPLICAS", self.master_name)
            return bool(replicas)

    def master_port(self) -> int:
        with redis.Redis(port=self.sentinel_port) as s:
            _host, port = s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.master_name)
            return int(port)

    def flush(self) -> None:
        with redis.Redis(port=self.master_port()) as r:
            r.flushall()
            r.script_flush()
            r.execute_command("WAIT", 1, 2000)

    def close(self) -> None:
        if self.sentinel is not None and self.sentinel.poll() is None:
            self.sentinel.kill()
            self.sentinel.wait()
        self.master.kill()
        self.replica.kill()
        shutil.rmtree(self.base, ignore_errors=True)
