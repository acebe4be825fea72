"""AsyncQueue: rq's enqueue API awaited on redis.asyncio, against real Redis and a
real worker process."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import redis

from jobq import AsyncJob, AsyncQueue, DuplicateJobError, Job, JobStatus, Queue, job
from jobq.connection import close_async_connections, is_cluster
from jobq.embedded import EmbeddedRedis, free_port
from jobq.testing import run_now
from tests.conftest import Processes
from tests.fixtures import jobs

T = TypeVar("T")


def run(make: Callable[[AsyncQueue], Awaitable[T]], url: str, name: str = "default") -> T:
    """Run ``make(queue)`` on a fresh event loop with an AsyncQueue of its own."""

    async def main() -> T:
        queue = AsyncQueue(name, url=url)
        try:
            return await make(queue)
        finally:
            await queue.aclose()

    return asyncio.run(main())


def test_enqueue_is_awaited_and_a_worker_runs_it(redis_url: str, processes: Processes) -> None:
    processes.worker("default")

    async def go(q: AsyncQueue) -> tuple[AsyncJob, Any]:
        queued = await q.enqueue(jobs.add, 2, 3, result_ttl=600, meta={"by": "async"})
        return queued, await queued.wait(timeout=30)

    queued, result = run(go, redis_url)
    assert isinstance(queued, AsyncJob)
    assert result == 5
    assert queued.status == JobStatus.FINISHED
    assert queued.meta == {"by": "async"}


def test_a_job_enqueued_async_is_the_same_job_a_sync_client_reads(
    redis_url: str, connection: redis.Redis
) -> None:
    queued = run(lambda q: q.enqueue(jobs.echo, 1, "two", key=[3]), redis_url)
    fetched = Job.fetch(queued.id, connection)
    assert fetched.func_name == "tests.fixtures.jobs.echo"
    assert fetched.args == [1, "two"]
    assert fetched.kwargs == {"key": [3]}
    assert fetched.get_status() == JobStatus.QUEUED
    assert Queue("default", connection=connection).get_job_ids() == [queued.id]


def test_sixty_four_coroutines_enqueue_at_once_and_every_job_is_acknowledged(
    redis_url: str, connection: redis.Redis
) -> None:
    async def go(q: AsyncQueue) -> list[AsyncJob]:
        async def producer(k: int) -> list[AsyncJob]:
            return [await q.enqueue(jobs.add, k, i) for i in range(20)]

        batches = await asyncio.gather(*(producer(k) for k in range(64)))
        return [j for batch in batches for j in batch]

    made = run(go, redis_url)
    assert len({j.id for j in made}) == 64 * 20
    queue = Queue("default", connection=connection)
    assert queue.count == 64 * 20
    assert set(queue.get_job_ids()) == {j.id for j in made}
    assert all(j.status == JobStatus.QUEUED for j in made)


def test_enqueue_at_and_in_schedule_the_job(redis_url: str, connection: redis.Redis) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

    async def go(q: AsyncQueue) -> tuple[AsyncJob, AsyncJob]:
        return await q.enqueue_at(later, jobs.noop), await q.enqueue_in(
            dt.timedelta(hours=2), jobs.noop
        )

    at, in_ = run(go, redis_url)
    registry = Queue("default", connection=connection).scheduled_job_registry
    assert at.status == in_.status == JobStatus.SCHEDULED
    assert set(registry.get_job_ids()) == {at.id, in_.id}


def test_enqueue_many_validates_every_job_before_sending_any(
    redis_url: str, connection: redis.Redis
) -> None:
    datas = [Queue.prepare_data(jobs.add, (1, 2)), Queue.prepare_data(jobs.add, (object(), 2))]
    with pytest.raises(TypeError, match="argument"):
        run(lambda q: q.enqueue_many(datas), redis_url)
    assert connection.dbsize() == 0

    good = [Queue.prepare_data(jobs.add, (i, i)) for i in range(10)]
    made = run(lambda q: q.enqueue_many(good), redis_url)
    assert Queue("default", connection=connection).get_job_ids() == [j.id for j in made]


def test_a_live_job_id_is_refused_for_its_caller_only(
    redis_url: str, connection: redis.Redis
) -> None:
    async def go(q: AsyncQueue) -> list[Any]:
        await q.enqueue(jobs.noop, job_id="taken")
        return await asyncio.gather(
            q.enqueue(jobs.noop, job_id="taken"), q.enqueue(jobs.noop), return_exceptions=True
        )

    duplicate, other = run(go, redis_url)
    assert isinstance(duplicate, DuplicateJobError)
    assert isinstance(other, AsyncJob)
    assert Queue("default", connection=connection).count == 2


def test_afetch_arefresh_and_aget_status(redis_url: str, connection: redis.Redis) -> None:
    async def go(q: AsyncQueue) -> tuple[Any, ...]:
        made = await q.enqueue(jobs.add, 1, 1)
        fetched = await Job.afetch(made.id, q.connection)
        by_queue = await q.fetch_job(made.id)
        Job.fetch(made.id, connection).cancel()
        before = fetched.status
        await fetched.arefresh()
        missing = await q.fetch_job("no-such-job")
        return before, fetched.status, await made.aget_status(), by_queue, missing

    before, after, status, by_queue, missing = run(go, redis_url)
    assert (before, after, status) == (JobStatus.QUEUED, JobStatus.CANCELED, JobStatus.CANCELED)
    assert isinstance(by_queue, AsyncJob)
    assert missing is None


def _blocked_in_blpop(connection: redis.Redis) -> list[dict[str, Any]]:
    """Clients blocked in BLPOP, on every node of a cluster."""
    if is_cluster(connection):
        cluster: Any = connection
        replies = cluster.client_list(target_nodes=cluster.ALL_NODES)
        clients = [
            c for r in (replies.values() if isinstance(replies, dict) else [replies]) for c in r
        ]
    else:
        clients = connection.client_list()
    return [c for c in clients if c["cmd"] == "blpop"]


def test_a_cancelled_wait_leaves_nothing_behind(redis_url: str, connection: redis.Redis) -> None:
    async def go(q: AsyncQueue) -> AsyncJob:
        made = await q.enqueue(jobs.add, 1, 1)
        waiter = asyncio.ensure_future(made.wait(timeout=60))
        await asyncio.sleep(0.3)  # the wait is blocked inside Redis now
        blocked = await asyncio.to_thread(_blocked_in_blpop, connection)
        if len(blocked) != 1:
            waiter.cancel()
        assert len(blocked) == 1, blocked
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return made

    made = run(go, redis_url)
    q = Queue("default", connection=connection)
    assert connection.hget(q.keys.job(made.id), "waiters") is None
    assert not _blocked_in_blpop(connection)
    # the job ends later (run here through a worker's steps): no wake-up token is
    # left for the waiter that went away
    run_now(q, Job.fetch(made.id, connection))
    assert Job.fetch(made.id, connection).get_status() == JobStatus.FINISHED
    assert not connection.exists(q.keys.notify(made.id))


def test_a_wait_that_times_out_takes_back_its_registration(
    redis_url: str, connection: redis.Redis
) -> None:
    async def go(q: AsyncQueue) -> AsyncJob:
        made = await q.enqueue(jobs.noop)
        with pytest.raises(TimeoutError):
            await made.wait(timeout=0.2)
        return made

    made = run(go, redis_url)
    assert (
        connection.hget(Queue("default", connection=connection).keys.job(made.id), "waiters")
        is None
    )


def test_adelay_on_a_job_function(
    redis_url: str, connection: redis.Redis, processes: Processes
) -> None:
    processes.worker("high")
    decorated = job("high", result_ttl=900)(jobs.add)

    async def go() -> tuple[AsyncJob, Any]:
        try:
            made = await decorated.adelay(20, 22)
            return made, await made.wait(timeout=30)
        finally:
            await close_async_connections()

    made, result = asyncio.run(go())
    assert result == 42
    assert made.origin == "high"
    assert made.result_ttl == 900


def test_every_caller_of_a_batch_gets_the_error_when_redis_is_down() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"

    async def go(q: AsyncQueue) -> list[Any]:
        return await asyncio.gather(
            *(q.enqueue(jobs.noop) for _ in range(5)), return_exceptions=True
        )

    errors = run(go, url)
    assert len(errors) == 5
    assert all(isinstance(e, redis.ConnectionError) for e in errors)


def test_enqueue_after_redis_forgot_the_scripts(redis_url: str, connection: redis.Redis) -> None:
    async def go(q: AsyncQueue) -> list[AsyncJob]:
        first = await q.enqueue(jobs.noop)
        await q.connection.script_flush()
        return [first, *await asyncio.gather(*(q.enqueue(jobs.noop) for _ in range(3)))]

    made = run(go, redis_url)
    assert Queue("default", connection=connection).get_job_ids() == [j.id for j in made]


def test_async_queue_on_a_restarted_server(tmp_path: Any) -> None:
    with EmbeddedRedis(tmp_path, appendonly=True) as server:

        async def go() -> list[str]:
            q = AsyncQueue("default", url=server.url)
            first = await q.enqueue(jobs.noop)
            server.stop()
            server.start()
            second = await q.enqueue(jobs.noop)
            await q.aclose()
            return [first.id, second.id]

        ids = asyncio.run(go())
        client = redis.Redis(port=server.port)
        assert [i.decode() for i in client.lrange("jobq:{default}:queued", 0, -1)] == ids
        client.close()


def test_async_queue_signs_its_jobs_as_queue_does(redis_url: str, connection: redis.Redis) -> None:
    made = run(lambda q: q.enqueue(jobs.add, 1, 2), redis_url)
    unsigned = connection.hget(Queue("default", connection=connection).keys.job(made.id), "mac")
    assert unsigned is None

    async def go() -> AsyncJob:
        q = AsyncQueue("default", url=redis_url, secret="s3cret")
        try:
            return await q.enqueue(jobs.add, 1, 2)
        finally:
            await q.aclose()

    signed = asyncio.run(go())
    sync = Queue("default", connection=connection, secret="s3cret")
    mac = connection.hget(sync.keys.job(signed.id), "mac")
    assert mac
    # the same envelope a sync Queue with that secret would sign
    from jobq.signing import resolve

    keyring = resolve("s3cret")
    assert keyring is not None
    fields = {k.decode(): v for k, v in connection.hgetall(sync.keys.job(signed.id)).items()}
    keyring.verify("default", signed.id, {k.encode(): v for k, v in fields.items()})


class Around:
    """An async send hook that logs what it wraps and may refuse to send."""

    def __init__(self, name: str, log: list[str], refuse: bool = False) -> None:
        self.name, self.log, self.refuse = name, log, refuse

    async def around_asend(self, queue: AsyncQueue, jobs: Any, send: Any) -> list[AsyncJob]:
        self.log.append(f"{self.name} before {len(jobs)}")
        if self.refuse:
            raise RuntimeError("refused")
        sent: list[AsyncJob] = await send()
        self.log.append(f"{self.name} after {len(sent)}")
        return sent


def test_send_hooks_wrap_every_async_send_the_first_outermost(
    redis_url: str, connection: redis.Redis
) -> None:
    log: list[str] = []

    async def go() -> list[AsyncJob]:
        client = AsyncQueue("default", url=redis_url).connection
        q = AsyncQueue("default", client, send_hooks=[Around("a", log), Around("b", log)])
        try:
            one = await q.enqueue(jobs.add, 1, 2)
            return [one, *await q.enqueue_many([Queue.prepare_data(jobs.add, (3, 4))] * 2)]
        finally:
            await client.aclose()

    sent = run(lambda _: go(), redis_url)
    assert log == [
        "a before 1", "b before 1", "b after 1", "a after 1",
        "a before 2", "b before 2", "b after 2", "a after 2",
    ]  # fmt: skip
    assert Queue("default", connection=connection).get_job_ids() == [j.id for j in sent]


def test_a_send_hook_that_raises_sends_nothing(redis_url: str, connection: redis.Redis) -> None:
    async def go() -> None:
        client = AsyncQueue("default", url=redis_url).connection
        q = AsyncQueue("default", client, send_hooks=[Around("a", [], refuse=True)])
        try:
            with pytest.raises(RuntimeError, match="refused"):
                await q.enqueue(jobs.add, 1, 2)
        finally:
            await client.aclose()

    run(lambda _: go(), redis_url)
    assert Queue("default", connection=connection).count == 0


def test_a_queue_given_as_plan_gives_its_settings_and_jobs_keep_the_async_client(
    redis_url: str, connection: redis.Redis
) -> None:
    plan = Queue("low", connection=connection, default_timeout=42, default_result_ttl=77)

    async def go() -> tuple[AsyncJob, str | None]:
        client = AsyncQueue("ignored", url=redis_url).connection
        q = AsyncQueue(connection=client, plan=plan)
        try:
            queued = await q.enqueue(jobs.add, 1, 2)
            assert queued.connection is client
            await queued.arefresh()
            return queued, queued.exc_info  # a property that reloads a running job
        finally:
            await client.aclose()

    queued, error = run(lambda _: go(), redis_url)
    assert (queued.origin, queued.timeout, queued.result_ttl, error) == ("low", 42, 77, None)
    with pytest.raises(TypeError, match="arefresh"):
        queued.refresh()
