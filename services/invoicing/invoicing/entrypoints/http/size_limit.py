"""A byte limit on file imports, applied while the body streams in (not after)."""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem_response

IMPORT_PATH_SUFFIX = "/documents/import"


class ImportTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))
        self.limit = limit


def too_large_detail(limit: int) -> str:
    return (f"The file is larger than the import limit of {limit // (1024 * 1024)} MB "
            f"({limit} bytes); nothing was imported. Split it (an RCV month at a time, or "
            "fewer DTEs per EnvioDTE) or import it with the CLI: python -m invoicing import.")


def too_large_response(limit: int, path: str):  # noqa: ANN201
    return problem_response(413, "Content too large", too_large_detail(limit),
                            type="/problems/too-large", instance=path, limit_bytes=limit)


class ImportSizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith(IMPORT_PATH_SUFFIX):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await too_large_response(self.max_bytes, scope["path"])(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise ImportTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted, send)
