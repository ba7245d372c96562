"""/metrics on invoicing: open, in Prometheus's format, counting requests by route
template."""

import httpx
from prometheus_client import REGISTRY

EXPECTED = ["dte_http_requests_total", "dte_http_request_duration_seconds",
            "dte_events_published_total", "dte_events_consumed_total",
            "dte_events_dead_lettered_total", "dte_outbox_backlog"]


def requests_to(route: str, status: int) -> float:
    return REGISTRY.get_sample_value(
        "dte_http_requests_total", {"method": "GET", "route": route, "status": str(status)}
    ) or 0.0


async def test_metrics_are_open_and_count_requests_by_route_template(app, client, company):
    before = requests_to("/v1/companies/{rut}", 200)
    response = await client.get(f"/v1/companies/{company}")
    assert response.status_code == 200
    assert requests_to("/v1/companies/{rut}", 200) == before + 1

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://invoicing") as anonymous:
        metrics = await anonymous.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    for name in EXPECTED:
        assert f"# TYPE {name} " in metrics.text, name
    assert 'route="/v1/companies/{rut}"' in metrics.text
    assert company not in metrics.text  # never the raw path

