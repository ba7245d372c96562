"""Each query parameter at most once.

FastAPI reads a scalar parameter given twice (``?from=2024-01-01&from=2020-01-01``) as
its last value, so what a caller meant is a guess, and a check that read the first one
(the date-range check, a proxy, a log) saw something else than the route. No parameter
of these APIs takes a list, so a repeated one is refused with a 422 naming it, in a
middleware that every route goes through.
"""

from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.problems import problem_response
from shared.text import preview


def repeated_parameters(query_string: bytes) -> list[str]:
    """The names given more than once, in the order they first repeat."""
    # Decoded the way Starlette decodes it for the routes, so "fr%6Fm" is "from".
    seen: set[str] = set()
    repeated: list[str] = []
    for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


class SingleQueryParameters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"&" in scope.get("query_string", b""):
            repeated = repeated_parameters(scope["query_string"])
            if repeated:
                errors = [{"field": preview(name),
                           "message": f"'{preview(name)}' is given more than once: give it "
                                      "once"} for name in repeated[:20]]
                detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
                response = problem_response(422, "Request is not valid", detail,
                                            type="/problems/validation-error",
                                            instance=scope["path"], errors=errors)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_single_query_parameters(app: FastAPI) -> None:
    app.add_middleware(SingleQueryParameters)
