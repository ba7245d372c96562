"""/metrics on accounting: open, counting requests by route template, with sync sessions
by state read from the database and the documents it posted."""

import httpx
from prometheus_client import REGISTRY

EXPECTED = ["dte_http_requests_total", "dte_http_request_duration_seconds",
            "dte_events_published_total", "dte_events_consumed_total",
            "dte_events_dead_lettered_total", "dte_outbox_backlog", "dte_sync_sessions",
            "dte_documents_posted_total"]


async def test_metrics_are_open_and_count_requests_by_route_template(app, client, rut):
    route = {"method": "GET", "route": "/v1/contracts/{rut}", "status": "404"}
    before = REGISTRY.get_sample_value("dte_http_requests_total", route) or 0.0
    unknown = rut()
    response = await client.get(f"/v1/contracts/{unknown}",
                                headers={"X-Correlation-Id": "portal-1"})
    assert response.status_code == 404
    assert response.headers["X-Correlation-Id"] == "portal-1"
    assert REGISTRY.get_sample_value("dte_http_requests_total", route) == before + 1

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://accounting") as anonymous:
        metrics = await anonymous.get("/metrics")
    assert metrics.status_code == 200
    for name in EXPECTED:
        assert f"# TYPE {name} " in metrics.text, name
    assert unknown not in metrics.text  # the template, never the raw path
    for state in ("requested", "receiving", "in_review", "confirmed"):
        assert REGISTRY.get_sample_value("dte_sync_sessions", {"state": state}) is not None
