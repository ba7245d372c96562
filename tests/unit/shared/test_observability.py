"""Correlation ids, the log formatters and the HTTP metrics middleware, in-process."""

import asyncio
import io
import json
import logging
import uuid

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from shared.events import CloudEvent, SyncCompleted
from shared.observability.correlation import correlation, current_correlation_id
from shared.observability.http import install_observability
from shared.observability.logging import ContextFilter, JsonFormatter, TextFormatter
from shared.observability.metrics import at_most_every


def logger_to(stream: io.StringIO, formatter: logging.Formatter) -> logging.Logger:
    logger = logging.getLogger(f"test.observability.{uuid.uuid4().hex[:8]}")
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter("accounting"))
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def test_a_json_line_parses_and_carries_the_correlation_id_and_service():
    stream = io.StringIO()
    logger = logger_to(stream, JsonFormatter())
    with correlation("sync-123"):
        logger.info("posted %d entries", 3, extra={"company_id": "c-1"})
    try:
        raise ValueError("no account 110310")
    except ValueError:
        logger.exception("could not post")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "posted 3 entries"
    assert first["level"] == "INFO" and first["logger"] == logger.name
    assert first["service"] == "accounting"
    assert first["correlation_id"] == "sync-123"
    assert first["company_id"] == "c-1"
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert second["correlation_id"] is None
    assert second["level"] == "ERROR"
    assert "ValueError: no account 110310" in second["exception"]


def test_a_text_line_shows_the_correlation_id_only_when_there_is_one():
    stream = io.StringIO()
    logger = logger_to(stream, TextFormatter())
    with correlation("sync-9"):
        logger.info("inside")
    logger.info("outside")
    inside, outside = stream.getvalue().splitlines()
    assert inside.endswith(f"INFO {logger.name} [sync-9]: inside")
    assert outside.endswith(f"INFO {logger.name}: outside")


def test_events_take_the_current_correlation_id_unless_given_one():
    completed = SyncCompleted(sync_id="s-1", company_rut="76354771-K", document_count=0)
    assert CloudEvent.wrap(completed).correlationid is None
    with correlation("from-the-request"):
        assert CloudEvent.wrap(completed).correlationid == "from-the-request"
        assert CloudEvent.wrap(completed, correlation_id="s-1").correlationid == "s-1"
    assert current_correlation_id() is None


def requests(method: str, route: str, status: int) -> float:
    return REGISTRY.get_sample_value(
        "dte_http_requests_total", {"method": method, "route": route, "status": str(status)}
    ) or 0.0


def small_app() -> FastAPI:
    app = FastAPI()
    seen: list[str | None] = []
    app.state.seen = seen

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        seen.append(current_correlation_id())
        return {"id": thing_id}

    install_observability(app)
    return app


async def test_requests_are_counted_by_route_template_and_keep_the_correlation_id():
    app = small_app()
    before = requests("GET", "/v1/things/{thing_id}", 200)
    unmatched = requests("GET", "unmatched", 404)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        given = await client.get("/v1/things/a", headers={"X-Correlation-Id": "sync-42"})
        made = await client.get("/v1/things/b")
        too_long = await client.get("/v1/things/c", headers={"X-Correlation-Id": "x" * 65})
        await client.get("/nothing/here")
        metrics = await client.get("/metrics")
    assert given.headers["X-Correlation-Id"] == "sync-42"
    assert uuid.UUID(made.headers["X-Correlation-Id"])
    assert uuid.UUID(too_long.headers["X-Correlation-Id"])
    assert app.state.seen == ["sync-42", made.headers["X-Correlation-Id"],
                              too_long.headers["X-Correlation-Id"]]
    # The template, never the raw path: three paths, one series.
    assert requests("GET", "/v1/things/{thing_id}", 200) == before + 3
    assert requests("GET", "unmatched", 404) == unmatched + 1
    assert metrics.status_code == 200
    assert 'route="/v1/things/{thing_id}"' in metrics.text
    assert "/v1/things/a" not in metrics.text
    assert "/metrics" not in app.openapi()["paths"]


async def test_a_refresh_runs_at_most_once_per_interval():
    runs = 0

    async def refresh() -> None:
        nonlocal runs
        runs += 1

    limited = at_most_every(60, refresh)
    await asyncio.gather(limited(), limited(), limited())
    assert runs == 1
