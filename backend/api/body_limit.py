"""Refusing an over-sized request body with 413 before it is read, instead of after spooling all of it.

Every request body is capped: uploads (a POST to a path ending in `/upload`) at LENSBOARD_MAX_UPLOAD_BYTES,
everything else (JSON) at LENSBOARD_MAX_BODY_BYTES, so that no JSON body of megabytes is parsed, validated
and perhaps stored. A pure ASGI middleware: a Content-Length over the limit is answered at once; a body
without one (chunked) is counted as it arrives and cut off at the limit. The upload route also counts what
it saves, so its limit holds however the body came.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import send_error
from backend.core.settings import get_settings

UPLOAD_SEGMENT = "/upload"


class _TooLarge(Exception):
    pass


def _limit(scope: Scope) -> tuple[int, int, str]:
    """(the limit users are told, what is allowed on the wire, the setting that sets it) for this request."""
    settings = get_settings()
    if scope["method"] == "POST" and scope["path"].endswith(UPLOAD_SEGMENT):
        # Room for the multipart framing and the form fields around the file.
        return settings.max_upload_bytes, settings.max_upload_bytes + 64 * 1024, "LENSBOARD_MAX_UPLOAD_BYTES"
    return settings.max_body_bytes, settings.max_body_bytes, "LENSBOARD_MAX_BODY_BYTES"


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit, allowed, setting = _limit(scope)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > allowed:
            await _send_413(send, limit, setting)
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
            # A body parser may turn our cut-off into its own error response: answer 413 instead.
            nonlocal started
            if seen > allowed:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_413(send, limit, setting)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _send_413(send, limit, setting)


async def _send_413(send: Send, limit: int, setting: str) -> None:
    what = "upload" if setting == "LENSBOARD_MAX_UPLOAD_BYTES" else "request body"
    await send_error(send, 413, f"the {what} is over the limit of {limit:,} bytes ({setting})")
