"""RFC 9457 problem details for every error a client can see.

Service layers raise ``shared.errors.DomainError`` kinds, mapped here to a status and a
type; HTTP-edge code (authentication, the operators' API) raises ``Problem`` with its own
status; validation, HTTP and unexpected errors are turned into the same shape. No stack
trace ever reaches a client.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemDetails(BaseModel):
    """The error body of every 4xx/5xx answer (RFC 9457)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(default="about:blank", examples=["/problems/validation-error"])
    title: str = Field(examples=["Request is not valid"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["rut: check digit is wrong"])
    instance: str | None = None


class Problem(errors.DomainError):
    """An error of the HTTP edge itself (a bad token, a broker the operators' API cannot
    reach), with its status: use cases raise the ``shared.errors`` kinds instead."""

    status = 400
    type: str | None = "about:blank"

    def __init__(self, detail: str, *, status: int | None = None, **kind: Any):
        super().__init__(detail, **kind)
        if status is not None:
            self.status = status


# Each kind of domain error: its status and the problem type it has unless it names its
# own. A kind a service derives (invoicing's AlreadyExists is a Conflict) takes the
# nearest kind's.
DOMAIN_ERROR_STATUS: dict[type[errors.DomainError], tuple[int, str]] = {
    errors.NotFound: (404, "/problems/not-found"),
    errors.Conflict: (409, "/problems/conflict"),
    errors.Invalid: (422, "/problems/validation-error"),
    errors.Forbidden: (403, "/problems/forbidden"),
    errors.Unavailable: (503, "/problems/unavailable"),
    errors.DomainError: (400, "about:blank"),
}


def domain_error_status(error: errors.DomainError) -> tuple[int, str]:
    """The status and the problem type of a domain error."""
    if isinstance(error, Problem):
        return error.status, error.type or "about:blank"
    for kind in type(error).__mro__:
        if kind in DOMAIN_ERROR_STATUS:
            status, default_type = DOMAIN_ERROR_STATUS[kind]
            return status, error.type or default_type
    raise AssertionError("every DomainError has a kind")  # DomainError itself is in the map


# What a validation error may say, at most: a client's bad value is quoted by a short
# prefix (shared.text.preview) or not at all, never whole. The locations are cut too: a
# field name is the client's own text when it is an unknown field or a dict key. pydantic
# puts each error's whole ``input`` in the error; it is never part of the answer.
MAX_ERRORS = 20
MAX_LOCATION_PART = 60
MAX_MESSAGE = 300
MAX_INSTANCE = 200


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def problem_response(status: int, title: str, detail: str | None, *,
                     type: str = "about:blank", instance: str | None = None,
                     **extra: Any) -> JSONResponse:
    body = {"type": type, "title": title, "status": status, "detail": detail}
    if instance:
        # The request's path: a client's text, as long as the client made it.
        body["instance"] = _shortened(instance, MAX_INSTANCE)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [_shortened(str(p), MAX_LOCATION_PART) for p in loc
             if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _message(text: str) -> str:
    # pydantic prefixes our validators' own sentences; the person only needs the sentence.
    return _shortened(text.removeprefix("Value error, ").removeprefix("Assertion failed, "),
                      MAX_MESSAGE)


def validation_errors(raw: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """The ``detail`` and ``errors`` of a 422 for pydantic's errors: field and message of
    at most MAX_ERRORS of them (the detail says how many more there were)."""
    errors = [{"field": _location(tuple(e["loc"])), "message": _message(e["msg"])}
              for e in raw[:MAX_ERRORS]]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if len(raw) > MAX_ERRORS:
        detail += f"; and {len(raw) - MAX_ERRORS} more errors"
    return detail, errors


def forget_frames(exc: RequestValidationError) -> None:
    """Drop the tracebacks of a validation error and of the exceptions our validators
    raised (pydantic keeps each one in its error's ``ctx``).

    Each traceback holds the frames that validated the request, and those frames hold the
    error again (a local variable, the list of errors) and the request body: a reference
    cycle, which only the cyclic collector frees. The services run it rarely (see
    shared.runtime), so a stream of invalid megabyte bodies stayed in memory, one body per
    request, until it did. Without the tracebacks there is no cycle: the body is freed
    with the answer.
    """
    raised: list[BaseException] = [exc]
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, BaseException):
            raised.append(cause)
    seen: set[int] = set()
    while raised:
        error = raised.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        error.__traceback__ = None
        raised.extend(e for e in (error.__cause__, error.__context__) if e is not None)


# SQLSTATEs that mean the database cannot be reached now, not that the query is wrong:
# connection exceptions (08…), operator intervention (57P01 shutdown … 57P04 dropped),
# too many connections (53300), no such database (3D000: renamed or not created yet).
_UNREACHABLE_SQLSTATES = ("08", "57P", "53300", "3D000")


def database_unreachable(exc: BaseException) -> bool:
    """Whether a database error means "not reachable right now" (a 503), for errors
    raised while connecting as well as on a connection that was cut."""
    if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
        return True
    seen: set[int] = set()
    error: BaseException | None = getattr(exc, "orig", None) or exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (OSError, TimeoutError)):
            return True
        sqlstate = str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")
        if sqlstate.startswith(_UNREACHABLE_SQLSTATES):
            return True
        # ALTER DATABASE … ALLOW_CONNECTIONS false: refused at connect time.
        if sqlstate == "55000" and "accepting connections" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
        status, kind = domain_error_status(exc)
        return problem_response(status, exc.title, exc.detail, type=kind,
                                instance=request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        forget_frames(exc)
        detail, errors = validation_errors(exc.errors())
        return problem_response(422, "Request is not valid", detail,
                                type="/problems/validation-error",
                                instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        return problem_response(exc.status_code, title, detail, instance=request.url.path)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if not database_unreachable(exc):
            return await _unexpected(request, exc)
        log.error("database unavailable: %s", exc)
        return problem_response(503, "Service unavailable",
                                "The database is not reachable right now; try again shortly.",
                                type="/problems/unavailable", instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal error",
                                "Something went wrong on our side; it has been logged.",
                                instance=request.url.path)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDetails, "content": {PROBLEM_JSON: {}}, "description": text}
    for status, text in {
        400: "Bad request",
        404: "Not found",
        409: "Conflict with the current state",
        422: "Request is not valid",
        503: "A dependency is unavailable",
    }.items()
}
"""Pass as ``responses=`` to routers so the OpenAPI documents the error shape."""
