"""A fast path for the samples table: repeat what the route answered a moment ago, without the framework.

The loss-sorted samples page is the dashboard's hottest request. Through the route it costs about 10 ms
of CPU (credential and membership lookups, five statements, FastAPI's dependencies and the validation of
11 query parameters): some 100 pages/s per process, so 100 connections queue for a second. Even with
every query answered from memory, FastAPI's own work caps a process near 5,000 requests/s (measured on a
2-core machine), short of what p95 <= 20 ms at 100 connections needs. This pure ASGI middleware answers
the request itself when, and only when, the route has already done all the thinking:

- a **grant**: the route answered this same credential (the raw Authorization and Cookie headers) for
  this version and requested epoch less than `access_cache_seconds` ago (default 1 s). The grant records
  that access was allowed and which evaluated epoch (and stamp) the request resolved to;
- the epoch's **sample order** for the requested split and sort (backend/api/services/sample_order.py);
- the epoch's **table** (backend/api/services/epoch_table.py): its result columns beside the dataset's
  memory-mapped rows file, from which any page of the order is assembled, the route's bytes exactly.

Anything else (a filter, a repeated parameter, a value out of range, a missing piece, no grant) goes to the
route, which checks access from scratch, answers, and fills what was missing. So access decisions are made
in one place (backend/api/guard.py); this only replays one for at most `access_cache_seconds`. It reads the
version id with the guard's own strict parser (backend/api/ids.py) and the query with the route's own model
(SamplesQuery): a spelling the route refuses never gets a page from here. Any
state-changing request in this process (revoking a token, signing out, changing a member, deleting)
drops every grant at once; in other processes a change takes effect within `access_cache_seconds`.
`access_cache_seconds=0` turns the fast path off.

Under load a grant is renewed before it expires: in the second half of its life, one request goes
through the route while the others are still served. A request that finds its grant expired and a
renewal under way waits for that renewal instead of joining it (a burst of full requests every second
would cost more than the fast path saves).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.auth import SAFE_METHODS
from backend.api.ids import parse_id
from backend.api.schemas.samples import SamplesQuery, parse_samples_query
from backend.api.services.epoch_table import epoch_tables
from backend.api.services.sample_order import sample_orders

PATH = re.compile(r"/api/versions/([^/]*)/samples")
RENEW_WAIT_S = 2.0

GrantKey = tuple[bytes, int, int | None]


@dataclass(frozen=True)
class Grant:
    expires: float  # Grants.clock()
    epoch: int
    stamp: datetime


def credential_digest(headers: list[tuple[bytes, bytes]]) -> bytes:
    """Everything a request's identity depends on: its Authorization and Cookie headers (hashed, so that
    no secret is kept as a key)."""
    auth = cookie = b""
    for name, value in headers:
        if name == b"authorization":
            auth = value
        elif name == b"cookie":
            cookie = value
    return hashlib.sha256(auth + b"\0" + cookie).digest()


class Grants:
    """Recent access decisions of the samples route, per process."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._grants: dict[GrantKey, Grant] = {}
        self._lock = threading.Lock()

    def get(self, key: GrantKey) -> Grant | None:
        grant = self._grants.get(key)
        return grant if grant is not None and grant.expires > self.clock() else None

    def ageing(self, grant: Grant) -> bool:
        """In the second half of its life: time to renew it while it still serves the other requests. Half,
        because under load the renewing request's thread gets the GIL only now and then: its few ms of
        work can take a few hundred ms."""
        return grant.expires - self.clock() < self.ttl_s / 2

    def put(self, key: GrantKey, epoch: int, stamp: datetime) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            now = self.clock()
            if len(self._grants) > 10_000:  # credentials come and go: drop the expired ones now and then
                self._grants = {k: g for k, g in self._grants.items() if g.expires > now}
            self._grants[key] = Grant(now + self.ttl_s, epoch, stamp)

    def clear(self) -> None:
        with self._lock:
            self._grants.clear()


def remember(request: Request, version_id: int, requested_epoch: int | None, epoch: int,
             stamp: datetime | None) -> None:
    """Called by the route once it has answered: this credential may read this version's samples, and the
    requested epoch is `epoch`, written at `stamp`. Epochs without a stamp are never served from memory."""
    grants: Grants = request.app.state.grants
    if stamp is not None:
        grants.put((credential_digest(request.scope["headers"]), version_id, requested_epoch), epoch, stamp)


def cached_page(version_id: int, grant: Grant, query: SamplesQuery) -> bytes | None:
    key = (version_id, grant.epoch, grant.stamp)
    order_ids = sample_orders.peek((*key, query.split, query.sort, query.order))
    table = epoch_tables.peek(key)
    if order_ids is None or table is None:
        return None
    return table.page(order_ids, query.offset, query.limit)


class SamplesFastPath:
    def __init__(self, app: ASGIApp, grants: Grants) -> None:
        self.app = app
        self.grants = grants  # the app's (app.state.grants), which its route fills
        self._renewing: dict[GrantKey, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            try:
                await self.app(scope, receive, send)
            finally:
                self.grants.clear()  # whatever changed may have changed who can read what
            return
        match = PATH.fullmatch(scope["path"]) if scope["method"] == "GET" and self.grants.ttl_s > 0 else None
        version_id = parse_id(match[1]) if match else None
        query = parse_samples_query(scope["query_string"]) if version_id is not None else None
        if version_id is None or query is None or query.filtered:
            await self.app(scope, receive, send)
            return
        key = (credential_digest(scope["headers"]), version_id, query.epoch)
        grant = self.grants.get(key)
        renewing = self._renewing.get(key)
        if renewing is None and (grant is None or self.grants.ageing(grant)):
            await self._renew(key, scope, receive, send)
            return
        if grant is None and renewing is not None:
            with contextlib.suppress(TimeoutError):  # then the route answers it
                await asyncio.wait_for(renewing.wait(), RENEW_WAIT_S)
            grant = self.grants.get(key)
        body = cached_page(version_id, grant, query) if grant is not None else None
        if body is None:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _renew(self, key: GrantKey, scope: Scope, receive: Receive, send: Send) -> None:
        event = self._renewing[key] = asyncio.Event()
        try:
            await self.app(scope, receive, send)
        finally:
            del self._renewing[key]
            event.set()
