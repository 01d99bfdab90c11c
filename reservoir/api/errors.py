"""One error body for every failure: ``{"error": {"code", "message", "details"}}``.

Clients branch on ``code`` (stable, machine-readable) and show ``message``; an unhandled
exception becomes a 500 that names nothing internal, while the traceback goes to the log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reservoir.memory.qdrant_lease import VectorStoreError

log = logging.getLogger(__name__)

STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


class ApiError(StarletteHTTPException):
    """An HTTP error with a stable code and optional structured details."""

    def __init__(self, status_code: int, message: str, *, code: str | None = None,
                 details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code or STATUS_CODES.get(status_code, "error")
        self.details = details


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, jsonable_encoder(details)), status_code=status,
                        headers=headers)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else STATUS_CODES.get(exc.status_code, "error")
    details = getattr(exc, "details", None)
    if details is None and not isinstance(exc.detail, str):
        details = exc.detail
    return error_response(exc.status_code, code, message, details, headers=exc.headers)


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    """Location, message and type of a validation error; never the raw input echoed back."""
    return {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""),
            "type": error.get("type", "")}


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_clean(e) for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(400, "invalid_json", "request body is not valid JSON", errors)
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
    return error_response(422, "validation_error", f"{where}: {first['msg']}", errors)


_SQLITE_CONSTRAINT = re.compile(r"(UNIQUE|NOT NULL|CHECK) constraint failed: ([\w.]+)")
_PG_KEY = re.compile(r"Key \(([^)]+)\)=")


def constraint_field(exc: IntegrityError) -> str | None:
    """The column a constraint violation is about, from SQLite's or PostgreSQL's message."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "column_name", None):
        return str(diag.column_name)
    text = str(orig)
    if found := _PG_KEY.search(text):
        return found.group(1).split(",")[0].strip()
    if found := _SQLITE_CONSTRAINT.search(text):
        return found.group(2).split(".")[-1]
    return None


async def _constraint_violation(request: Request, exc: Exception) -> JSONResponse:
    """A write the database refused (a taken unique name, a missing row): 409 naming the field.

    Routes check what they can before writing; this is the net for what only the database
    knows (two requests racing for the same name), so no input ever ends in a 500.
    """
    assert isinstance(exc, IntegrityError)
    field = constraint_field(exc)
    log.info("constraint violation on %s %s: %s", request.method, request.url.path, exc.orig)
    text = str(exc.orig)
    if "UNIQUE" in text.upper() or "duplicate key" in text:
        message = f"{field or 'a unique field'}: this value is already taken"
    elif "FOREIGN KEY" in text.upper():
        message = f"{field or 'a reference'}: refers to something that does not exist"
    else:
        message = f"{field or 'a field'}: the value breaks a constraint of the store"
    return error_response(409, "conflict", message, {"field": field})


async def _store_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The embedded vector store was not handed over in time: say who holds it."""
    return error_response(503, "unavailable", str(exc), headers={"Retry-After": "5"})


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(VectorStoreError, _store_unavailable)
    app.add_exception_handler(IntegrityError, _constraint_violation)
    app.add_exception_handler(Exception, _unhandled)
