"""Refusing request paths with control characters (a NUL byte, a newline) before any route.

No route has a use for them, and each place that turns a path into a file name would otherwise fail in
its own way: `GET /x%00y` reached the dashboard's catch-all, whose file lookup raised on the NUL byte, and
answered a bare 500. The answer is 422, what every API operation declares for invalid input.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.errors import send_error

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RejectControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and CONTROL.search(scope["path"]):
            await send_error(send, 422, "the path contains a control character (such as %00)")
            return
        await self.app(scope, receive, send)
