"""HTTP side of observability: a pure ASGI middleware that keeps the correlation id and
counts and times each request by its route template, and the open ``GET /metrics``."""

import logging
import time
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability.correlation import (
    CORRELATION_HEADER,
    correlation,
    new_correlation_id,
    valid_correlation_id,
)
from shared.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS, Refresh

log = logging.getLogger(__name__)

_HEADER = CORRELATION_HEADER.lower().encode()
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/syncs/{sync_id}``), never the raw path:
    the router leaves the route it chose in ``scope["route"]``."""
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER), b"")
        cid = valid_correlation_id(given.decode("latin-1")) or new_correlation_id()
        status = 500  # what the client gets if the app raises before answering
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (_HEADER, cid.encode())]}
            await send(message)

        try:
            with correlation(cid):
                await self.app(scope, receive, send_with_id)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            labels = (method, route_template(scope), str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - start)


def metrics_router(refresh: Sequence[Refresh] = ()) -> APIRouter:
    """``GET /metrics`` in Prometheus's text format, open like the health probes and left
    out of the OpenAPI document (it is for Prometheus, not for partners)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        for step in refresh:
            try:
                await step()
            except Exception:  # noqa: BLE001 - a stale gauge beats a failed scrape
                log.warning("could not refresh metrics; serving the last values", exc_info=True)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(app: FastAPI, *, refresh: Sequence[Refresh] = ()) -> None:
    """Add ``/metrics`` and the middleware. Call it last in ``build_app``, so the
    middleware is the outermost of ours and times everything the others do."""
    app.include_router(metrics_router(refresh))
    app.add_middleware(ObservabilityMiddleware)
