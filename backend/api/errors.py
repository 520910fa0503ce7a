"""Every error leaves the API as JSON: {"detail": "<message>", ...}. No stack traces reach a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


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

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        return JSONResponse(status_code=503, content={"detail": "database unavailable, try again shortly"})


def _jsonable(errors: object) -> object:
    if isinstance(errors, dict):
        return {k: _jsonable(v) for k, v in errors.items() if k != "ctx" and k != "url"}
    if isinstance(errors, list | tuple):
        return [_jsonable(e) for e in errors]
    if isinstance(errors, str | int | float | bool) or errors is None:
        return errors
    return str(errors)
