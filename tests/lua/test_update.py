"""update-1.lua: set fields of an existing job; never recreate a vanished one."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import NoSuchJobError

from .conftest import Q, put_job, state


def test_update_sets_fields(connection: redis.Redis) -> None:
    job = put_job(connection, "a", "started")
    transitions.update(connection, Q, "a", {"progress": "1/3", "meta": '{"k":1}'})
    assert state(connection) == {Q.job("a"): {**job, "progress": "1/3", "meta": '{"k":1}'}}


def test_update_of_a_vanished_job_creates_nothing(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError) as info:
        transitions.update(connection, Q, "gone", {"progress": "1/3"})
    assert info.value.transition == "update"
    assert state(connection) == {}
