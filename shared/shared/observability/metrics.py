"""The Prometheus metrics of every process, in the default registry.

Metrics are module-level (a process registers each once, however many apps it builds);
what differs between services is told by Prometheus's own job/instance labels, except the
outbox backlog, labelled by service. Labels take only bounded values: route templates,
event types, consumer names, states.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "dte_http_requests_total", "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "dte_http_request_duration_seconds",
    "Time from a request's arrival to its response's end, by method, route template and status",
    ["method", "route", "status"])

EVENTS_PUBLISHED = Counter(
    "dte_events_published_total", "Events the broker confirmed, by event type", ["type"])
EVENTS_CONSUMED = Counter(
    "dte_events_consumed_total", "Events handled and acked, by consumer and event type",
    ["consumer", "type"])
EVENTS_DEAD_LETTERED = Counter(
    "dte_events_dead_lettered_total",
    "Messages sent to the dead-letter queue, by consumer and event type (routing key)",
    ["consumer", "type"])
CONSUMER_WAITING = Gauge(
    "dte_consumer_waiting_for_dependency",
    "Batches a consumer holds while a dependency (database, broker, accounting) is "
    "unreachable, waiting to try them again", ["consumer"])
OUTBOX_BACKLOG = Gauge(
    "dte_outbox_backlog", "Outbox rows not yet published, as last seen by the relay",
    ["service"])

SYNC_SESSIONS = Gauge(
    "dte_sync_sessions", "Accounting's sync sessions by state", ["state"])
DOCUMENTS_POSTED = Counter(
    "dte_documents_posted_total", "Journal entries posted by accounting, by what they post "
    "(document or payment)", ["source"])

WORKER_BATCH_SIZE = Histogram(
    "dte_worker_batch_size", "Events the worker handles in one batch",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000))
WORKER_POSTING_LATENCY = Histogram(
    "dte_worker_posting_latency_seconds",
    "From an event's CloudEvents time to accounting accepting its proposal",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800))

Refresh = Callable[[], Awaitable[None]]


def at_most_every(seconds: float, refresh: Refresh) -> Refresh:
    """``refresh``, run on a scrape only when the last run is ``seconds`` old, so a
    scrape (or many scrapers) costs the database at most one query per interval."""
    last = -float("inf")
    lock = asyncio.Lock()

    async def maybe_refresh() -> None:
        nonlocal last
        async with lock:
            if time.monotonic() - last < seconds:
                return
            last = time.monotonic()
            await refresh()

    return maybe_refresh
