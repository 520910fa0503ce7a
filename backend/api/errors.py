"""Every error leaves the API as JSON: {"detail": "<message>", ...}. No stack traces reach a client."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import Send

from backend.api.schemas.common import ErrorOut
from backend.core.jobs.submit import BrokerUnavailable

log = logging.getLogger(__name__)

# Declared on every API operation, so that the schema tells clients (and the contract fuzzing in
# tests/db/test_api_fuzz.py) what an error looks like. 422 replaces FastAPI's default, whose shape
# (`detail` as a list) is not what the handler below sends.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "An id in the path does not exist"},
    409: {"model": ErrorOut, "description": "Conflicts with the current state (e.g. a job already running)"},
    422: {"model": ErrorOut, "description": "Invalid input: `detail` says what, `errors` lists each field"},
}

# Declared on every operation that needs a signed-in caller.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in, or the API token is invalid, expired or revoked"},
    403: {"model": ErrorOut, "description": "Signed in, but the caller's role in the project does not allow this"
                                             " (or a session request lacks its CSRF header)"},
}


class NotFound(HTTPException):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(status_code=404, detail=f"{what} {ident} not found")


class Conflict(HTTPException):
    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(status_code=409, detail=message, headers=None)
        self.extra = extra


class Unprocessable(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(status_code=422, detail=message)


class PayloadTooLarge(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": exc.detail, **exc.extra})

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid input')}" if where else str(first.get("msg", "invalid input"))
        return JSONResponse(status_code=422, content={"detail": message, "errors": _jsonable(errors)})

    # An id or number beyond what the database column holds (SQLite raises OverflowError when binding
    # it, PostgreSQL a DataError) is invalid input, not a server fault.
    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, exc: OverflowError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": "a number is out of range"})

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        log.info("rejected out-of-range input: %s", exc.orig)
        return JSONResponse(status_code=422, content={"detail": "a value is out of range for the database"})

    # A dependency that is down is the server's problem, not the request's: 503 with Retry-After and a
    # one-line reason. The pool pre-pings its connections, so the next request after recovery works.
    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        return _unavailable("database", exc.orig or exc)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(_: Request, exc: PoolTimeout) -> JSONResponse:
        return _unavailable("database", exc)

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:  # the connection dropped mid-query (server restarted or killed it)
            return _unavailable("database", exc.orig or exc)
        log.error("database error on %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse(status_code=500, content={"detail": "internal database error"})

    @app.exception_handler(BrokerUnavailable)
    async def _broker_down(_: Request, exc: BrokerUnavailable) -> JSONResponse:
        return _unavailable("broker", exc, "the job was not queued (marked failed); ask again to retry")


async def send_error(send: Send, status: int, detail: str) -> None:
    """An error answered by a pure ASGI middleware, before any route or exception handler runs: the same
    `{"detail": ...}` JSON."""
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _unavailable(what: str, exc: BaseException, hint: str = "try again shortly") -> JSONResponse:
    reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    log.error("%s unavailable: %s", what, exc)
    return JSONResponse(status_code=503, headers={"Retry-After": "5"},
                        content={"detail": f"the {what} is unavailable: {reason}; {hint}"})


# What a 422 leaves out of each error: `input` is the value as sent (a password, or megabytes of JSON), `ctx`
# may quote it, and `url` is pydantic's documentation link.
_WITHHELD = frozenset({"input", "ctx", "url"})


def _jsonable(errors: object) -> object:
    if isinstance(errors, dict):
        return {k: _jsonable(v) for k, v in errors.items() if k not in _WITHHELD}
    if isinstance(errors, list | tuple):
        return [_jsonable(e) for e in errors]
    if isinstance(errors, str | int | float | bool) or errors is None:
        return errors
    return str(errors)
