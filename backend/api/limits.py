"""Per-principal rate limits on the endpoints that start heavy work (training, analyses, maps, suspects,
sweeps): one client cannot flood the workers' queue.

Why a token bucket in the API process rather than counting queued jobs in the database: jobs have no
requester column yet, and a rate limit needs no migration and no extra query. Its cost: with several API
processes each enforces the limit on its own (a client gets at most `processes x limit`), and a restart
forgets the buckets. Both are acceptable for a guard against floods; a quota on queued jobs would need the
requester on the job row.

Who is limited is `principal(request)`: the signed-in user (every token and session of one user share
the buckets), or for sign-in attempts the client address. That address is the connection's peer unless
the peer is one of LENSBOARD_TRUSTED_PROXIES (then X-Forwarded-For's), so that a client cannot name a new
address per attempt. Failed password sign-ins are also limited per username, whatever the address
(`UsernameAttempts`): guessing one user's password from many addresses is as slow as from one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, HTTPException, Request

from backend.api.auth import CurrentPrincipal
from backend.core.settings import get_settings

# Each kind has its own bucket, so that many analyses never keep a user from training.
LimitKind = Literal["analyze", "train", "compute", "login"]

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many requests of this kind from this client: retry after `Retry-After` seconds"},
}


class RateLimited(HTTPException):
    def __init__(self, kind: str, per_minute: int, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            status_code=429,
            detail=f"too many {kind} requests: at most {per_minute} a minute; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Buckets of `capacity` tokens refilled at `capacity` a minute, one per (principal, kind)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def take(self, principal: str, kind: str, per_minute: int, consume: bool = True) -> float:
        """Take a token: 0 when allowed, else the seconds until one is available. With `consume=False`,
        only tell whether one is available."""
        now = self._clock()
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get((principal, kind))
            if bucket is None:
                bucket = self._buckets[(principal, kind)] = _Bucket(float(per_minute), now)
            bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0 if consume else 0.0
                return 0.0
            return (1.0 - bucket.tokens) / rate


def principal(request: Request) -> str:
    """Who a request counts against: the signed-in user, else (signing in) the client address."""
    signed_in = getattr(request.state, "principal", None)
    if signed_in is not None:
        return str(signed_in.key)
    return request.client.host if request.client else "unknown"


def buckets_of(request: Request) -> TokenBuckets:
    # One set per app, so that apps built by tests never share counts.
    state = request.app.state
    if not hasattr(state, "rate_buckets"):
        state.rate_buckets = TokenBuckets()
    buckets: TokenBuckets = state.rate_buckets
    return buckets


def rate_limit(kind: LimitKind) -> Any:
    """A route dependency: 429 with Retry-After when this principal is over its `kind` limit."""

    def check(request: Request) -> None:
        per_minute: int = getattr(get_settings(), f"rate_limit_{kind}_per_minute")
        if per_minute <= 0:
            return
        wait = buckets_of(request).take(principal(request), kind, per_minute)
        if wait > 0:
            raise RateLimited(kind, per_minute, wait)

    return Depends(check)


class UsernameAttempts:
    """Failed password sign-ins for one username, from any address. Only failures count, so that a user
    who signs in often is never held back by their own successes; while the bucket is empty every attempt
    for the name is refused before the password is checked."""

    def __init__(self, request: Request, username: str) -> None:
        self.per_minute = get_settings().rate_limit_login_per_username_per_minute
        self.buckets = buckets_of(request)
        self.key = f"username:{username.lower()}"  # usernames are unique regardless of case

    def check(self) -> None:
        if self.per_minute > 0 and (wait := self.buckets.take(self.key, "login", self.per_minute, consume=False)):
            raise RateLimited("failed sign-in", self.per_minute, wait)

    def failed(self) -> None:
        if self.per_minute > 0:
            self.buckets.take(self.key, "login", self.per_minute)


class DownloadSlots:
    """How many heavy downloads each principal has in flight, for `heavy_download`."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, principal: str, limit: int) -> bool:
        with self._lock:
            if self._held.get(principal, 0) >= limit:
                return False
            self._held[principal] = self._held.get(principal, 0) + 1
            return True

    def release(self, principal: str) -> None:
        with self._lock:
            left = self._held.get(principal, 0) - 1
            if left > 0:
                self._held[principal] = left
            else:
                self._held.pop(principal, None)


TOO_MANY_DOWNLOADS: dict[int | str, dict[str, Any]] = {
    429: {"description": "The caller already has LENSBOARD_MAX_DOWNLOADS_PER_USER heavy downloads in flight: "
                         "retry after `Retry-After` seconds"},
}


async def _download_slot(request: Request, principal: CurrentPrincipal) -> AsyncIterator[None]:
    # Each heavy download (a checkpoint, results, an export) keeps a worker thread busy for seconds, and
    # together they slowed every other request (4 cleaned-dataset exports: /api/health from 2 to 90 ms).
    # A slot is held until the last byte is sent: a yield dependency of the request's scope exits only then.
    limit = get_settings().max_downloads_per_user
    state = request.app.state
    if not hasattr(state, "download_slots"):
        state.download_slots = DownloadSlots()
    slots: DownloadSlots = state.download_slots
    if limit <= 0:
        yield
        return
    if not slots.acquire(principal.key, limit):
        raise HTTPException(status_code=429, headers={"Retry-After": "5"},
                            detail=f"you already have {limit} downloads in flight (at most {limit} at once); "
                                   "retry when one has finished")
    try:
        yield
    finally:
        slots.release(principal.key)


# A route dependency: `dependencies=[heavy_download]`.
heavy_download: Any = Depends(_download_slot)
