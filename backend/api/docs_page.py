"""The interactive API docs at /docs: Swagger UI served by this app, not from a CDN.

FastAPI's own page loads Swagger UI from a CDN (without integrity hashes: whoever serves those files runs
code on our origin) and starts it with an inline script, which the Content-Security-Policy forbids (see
backend/api/security_headers.py). So the bundle comes from the `fastapi-offline` package's copy of
swagger-ui-dist, served under /docs/assets/, and the start-up script is a file of its own, /docs/init.js.

Signed in to the dashboard, "Try it out" works with the session: the start-up script echoes the CSRF
cookie in X-CSRF-Token, as the dashboard does. ReDoc (FastAPI's /redoc) is not served.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from backend.api.auth import CSRF_COOKIE, CSRF_HEADER

SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lensboard API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

INIT_JS = f"""window.ui = SwaggerUIBundle({{
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
  requestInterceptor: (request) => {{
    const csrf = document.cookie.match(/(?:^|; ){CSRF_COOKIE}=([^;]*)/);
    if (csrf) request.headers["{CSRF_HEADER}"] = decodeURIComponent(csrf[1]);
    return request;
  }},
}});
"""


def install_docs(app: FastAPI) -> None:
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(INIT_JS, media_type="text/javascript")
