"""An embedded Redis whose free port is taken before the server binds it (another
process picking ports the same way, as parallel test runs do) starts on another."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis

from jobq import embedded
from jobq.embedded import EmbeddedRedis


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_port_taken_before_the_bind_is_chosen_again(
    monkeypatch: pytest.MonkeyPatch, taken_port: int
) -> None:
    handed = iter([taken_port])
    real = embedded.free_port
    monkeypatch.setattr(embedded, "free_port", lambda: next(handed, None) or real())
    with EmbeddedRedis() as server:
        assert server.port != taken_port
        assert redis.Redis.from_url(server.url).ping()


def test_a_port_given_and_taken_is_an_error_that_says_so(taken_port: int) -> None:
    server = EmbeddedRedis(port=taken_port)
    with pytest.raises(RuntimeError, match="Address already in use"):
        server.start()
    server.close()
