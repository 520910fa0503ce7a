"""Refusing an over-sized upload body with 413 before it is read, instead of after spooling all of it.

A pure ASGI middleware on the upload route: a Content-Length over the limit is answered at once; a body
without one (chunked) is counted as it arrives and cut off at the limit. The route also counts what it
saves, so the limit holds however the body came.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.settings import get_settings

# The dataset upload routes: a custom dataset, and the IMDB archive.
UPLOAD_SUFFIXES = ("/datasets/upload", "/datasets/imdb/upload")


class _TooLarge(Exception):
    pass


def _message(limit: int) -> bytes:
    detail = f"the upload is over the limit of {limit:,} bytes (LENSBOARD_MAX_UPLOAD_BYTES)"
    return json.dumps({"detail": detail}).encode()


class UploadSizeLimit:
    # Room for the multipart framing and the form fields around the file.
    OVERHEAD = 64 * 1024

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(UPLOAD_SUFFIXES):
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_upload_bytes
        allowed = limit + self.OVERHEAD
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > allowed:
            await _send_413(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > allowed:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            # The form parser may turn our cut-off into its own error response: answer 413 instead.
            nonlocal started
            if seen > allowed:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_413(send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body = _message(limit)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
