"""Security headers on every response, the dashboard's and the API's alike: one pure ASGI middleware.

The Content-Security-Policy is what the built dashboard and the API docs (/docs) need and no more:
- scripts only from this origin, none inline (no <script> body, no `onerror=` attribute: what injected
  markup would use): the dashboard is Vite's module bundle, and /docs loads Swagger UI's bundle and its
  start-up script as files (backend/api/docs_page.py);
- the dashboard's pages only: `'unsafe-eval'`, because regl (the WebGL layer under the population map,
  through regl-scatterplot) compiles its draw commands with `Function(...)` and the map fails with an
  EvalError without it. Eval runs only strings the bundle itself builds. The API's responses and /docs
  do without it;
- styles only from this origin's files, none inline: the dashboard's grid, graph and chart libraries and
  Swagger UI set styles through the DOM (`element.style`), which a policy does not restrict; checked in
  Chromium by the end-to-end run, which fails on any violation;
- images from this origin and `data:`/`blob:` URLs (Swagger UI's SVG icons, chart exports);
- `worker-src 'self' blob:`: the map's point index runs in a worker made from a blob URL;
- `connect-src 'self'`: the API and the job stream are on this origin;
- `frame-ancestors 'none'` (and X-Frame-Options for older browsers): no page of Lensboard can be framed.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _policy(script_src: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src {script_src}",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


STRICT_POLICY = _policy("'self'")
DASHBOARD_POLICY = _policy("'self' 'unsafe-eval'")
# Paths that are not the dashboard: everything else is its pages, client routes and assets.
NOT_DASHBOARD = ("/api/", "/docs", "/openapi.json")

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = STRICT_POLICY if scope["path"].startswith(NOT_DASHBOARD) else DASHBOARD_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
