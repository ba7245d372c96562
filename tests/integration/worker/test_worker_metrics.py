"""/metrics on the worker's HTTP server: open, with the worker's own metrics."""

import httpx
from prometheus_client import REGISTRY

from integration_worker.config import CONSUMER_NAME, Settings
from integration_worker.entrypoints.http import build_http_app
from shared.messaging import SUBSCRIPTIONS, Consumer

EXPECTED = ["dte_http_requests_total", "dte_events_consumed_total",
            "dte_events_dead_lettered_total", "dte_worker_batch_size",
            "dte_worker_posting_latency_seconds"]


async def test_metrics_are_open_and_name_the_worker_metrics(infra, topology):
    settings = Settings(amqp_url=infra.amqp_url, event_exchange=topology.exchange,
                        queue_prefix=topology.queue_prefix, accounting_url="http://127.0.0.1:9")

    async def handler(deliveries):
        return None

    consumer = Consumer(infra.amqp_url, topology, CONSUMER_NAME, SUBSCRIPTIONS[CONSUMER_NAME],
                        handler)
    app = build_http_app(settings, consumer)
    route = {"method": "GET", "route": "/healthz", "status": "200"}
    before = REGISTRY.get_sample_value("dte_http_requests_total", route) or 0.0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://worker") as http:
        assert (await http.get("/healthz")).status_code == 200
        metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    for name in EXPECTED:
        assert f"# TYPE {name} " in metrics.text, name
    assert REGISTRY.get_sample_value("dte_http_requests_total", route) == before + 1
