"""rq's ``Webhook``: an HTTP request the worker sends when a job ends.

Unlike a callback, a webhook is plain data (JSON in the job), so it needs no
importable function. The worker sends it when the job finishes or fails, right
after running it (as it runs callbacks), before the outcome is acknowledged in
Redis; a failed send is logged and never fails the job.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import Request, urlopen

if TYPE_CHECKING:
    from .job import Job

logger = logging.getLogger("jobq.webhook")

STATUSES = ("finished", "failed")
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Webhook:
    url: str
    job_status: str
    method: str = "GET"
    headers: dict[str, str] | None = None
    timeout: int = 10

    def __post_init__(self) -> None:
        parsed = urlparse(self.url) if isinstance(self.url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"webhook url must be an http:// or https:// URL, got {self.url!r}")
        if self.job_status not in STATUSES:
            raise ValueError(f"job_status must be 'finished' or 'failed', got {self.job_status!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be 'GET' or 'POST', got {self.method!r}")
        if self.headers is not None and not isinstance(self.headers, dict):
            raise TypeError(f"headers must be a dict or None, got {type(self.headers).__name__}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, int) or self.timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Webhook:
        return cls(
            data["url"],
            data["job_status"],
            method=data.get("method", "GET"),
            headers=data.get("headers"),
            timeout=data.get("timeout", 10),
        )

    def payload(self, job: Job, error: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "job_id": job.id,
            "func_name": job.func_name,
            "status": self.job_status,
            "enqueued_at": job.enqueued_at.isoformat() if job.enqueued_at else None,
        }
        if self.job_status == "failed":
            body["exc_info"] = error
        return body

    def send(self, job: Job, error: str | None = None) -> None:
        """Send the request; errors are logged, never raised."""
        try:
            if self.method == "GET":
                request = Request(self.url, headers=self.headers or {}, method="GET")
            else:
                data = json.dumps(self.payload(job, error)).encode()
                headers = {"Content-Type": "application/json", **(self.headers or {})}
                request = Request(self.url, data=data, headers=headers, method="POST")
            with urlopen(request, timeout=self.timeout):
                pass
        except Exception:
            logger.warning("webhook %s of job %s failed", self.url, job.id, exc_info=True)


def encode(webhooks: Any) -> str:
    """The ``webhooks`` option as stored in the job (a JSON list)."""
    if isinstance(webhooks, Webhook) or not all(isinstance(w, Webhook) for w in webhooks):
        raise TypeError("webhooks must be a list of Webhook instances")
    return json.dumps([w.to_dict() for w in webhooks])


def decode(raw: str | None) -> list[Webhook]:
    if not raw:
        return []
    try:
        return [Webhook.from_dict(d) for d in json.loads(raw)]
    except (ValueError, TypeError, KeyError):
        logger.warning("ignoring unreadable webhooks %r", raw[:200])
        return []
