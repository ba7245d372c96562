"""A byte limit on request bodies, applied while the body streams in (not after it was
read whole), answered with a 413 problem detail."""

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem_response

DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# For a path, its limit in bytes, or None when another middleware limits it.
LimitFor = Callable[[str], int | None]
# For a path and its limit, what to tell the client when a body is over it (None: the
# general message); a file import can say how to split the file.
DetailFor = Callable[[str, int], str | None]


class BodyTooLarge(HTTPException):
    # An HTTPException: FastAPI passes those through while reading a body instead of
    # turning them into a 400.
    def __init__(self, limit: int, detail: str | None = None) -> None:
        super().__init__(413, detail or too_large_detail(limit))
        self.limit = limit


def too_large_detail(limit: int) -> str:
    size = f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit / (1024 * 1024):g} MiB"
    return (f"The request body is larger than the limit of {size} ({limit} bytes); nothing "
            "was done. Send less in one request (fewer items per call).")


def too_large_response(limit: int, path: str, detail: str | None = None) -> JSONResponse:
    return problem_response(413, "Content too large", detail or too_large_detail(limit),
                            type="/problems/too-large", instance=path, limit_bytes=limit)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 limit_for: LimitFor | None = None, detail_for: DetailFor | None = None) -> None:
        self.app, self.max_bytes, self.limit_for = app, max_bytes, limit_for
        self.detail_for = detail_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"]) if self.limit_for else self.max_bytes
        if limit is None:
            await self.app(scope, receive, send)
            return
        detail = self.detail_for(scope["path"], limit) if self.detail_for else None
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large_response(limit, scope["path"], detail)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, detail)
            return message

        await self.app(scope, counted, send)


def install_body_limit(app: FastAPI, max_bytes: int = DEFAULT_MAX_BODY_BYTES, *,
                       limit_for: LimitFor | None = None,
                       detail_for: DetailFor | None = None) -> None:
    """Limit every request body to ``max_bytes``; ``limit_for`` may give a path another
    limit (or None: limited elsewhere), ``detail_for`` its own message."""

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return too_large_response(exc.limit, request.url.path, exc.detail)

    app.add_middleware(BodySizeLimit, max_bytes=max_bytes, limit_for=limit_for,
                       detail_for=detail_for)
