"""With the three services as real processes: their logs are JSON lines, one sync is
followed across all three by grepping its id, and each answers /metrics."""

import json

import httpx
import pytest

from deploy.local.client import FlowClient
from deploy.local.scenario import run_scenario
from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e

SERVICES = ("invoicing", "accounting", "integration-worker")


@pytest.fixture(scope="module")
async def stack(infra, topology, tmp_path_factory):
    stack = await start_stack(infra, topology, tmp_path_factory.mktemp("obs-logs"), "obs")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def synced(stack):
    """The flow ran (a sync reviewed and confirmed), the services stopped so their logs
    are complete; returns the first sync's id and the metrics read before stopping."""
    client = FlowClient(stack.invoicing_url, stack.accounting_url)
    try:
        outcome = run_scenario(client)
        metrics = {url: httpx.get(f"{url}/metrics", timeout=5).text
                   for url in (stack.invoicing_url, stack.accounting_url)}
    except Exception as error:
        tails = "\n".join(stack.log_tail(s, 60) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    finally:
        client.close()
    stack.stop()
    return outcome.first_sync["id"], metrics


def log_lines(stack, name: str) -> list[dict]:
    service = next(s for s in stack.services if s.name == name)
    text = service.log_path.read_text(encoding="utf-8")
    lines = []
    for raw in text.splitlines():
        if raw.strip():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                raise AssertionError(f"{name} logged a line that is not JSON: {raw}") from None
    return lines


@pytest.mark.parametrize("name", SERVICES)
def test_one_sync_is_followed_by_its_id_in_every_process(stack, synced, name):
    sync_id, _ = synced
    lines = log_lines(stack, name)
    assert lines, f"{name} logged nothing"
    for line in lines:
        assert {"time", "level", "logger", "message", "service",
                "correlation_id"} <= line.keys(), line
        assert line["service"] == name
    tagged = [line for line in lines if line["correlation_id"] == sync_id]
    assert tagged, f"no line of {name} carries the sync's correlation id {sync_id}"


def test_the_sync_can_be_grepped_from_request_to_posted_entries(stack, synced):
    sync_id, _ = synced
    messages = {name: " ".join(line["message"] for line in log_lines(stack, name)
                               if line["correlation_id"] == sync_id) for name in SERVICES}
    assert f"sync session {sync_id} requested" in messages["accounting"]
    assert f"sync {sync_id} of company" in messages["invoicing"]
    assert "handed" in messages["integration-worker"]
    assert "POST /internal/v1/proposals" in messages["accounting"]  # the worker's call
    assert f"sync session {sync_id} confirmed" in messages["accounting"]


def test_each_api_answers_metrics_with_the_flow_counted(stack, synced):
    _, metrics = synced
    invoicing, accounting = metrics[stack.invoicing_url], metrics[stack.accounting_url]
    assert 'dte_events_published_total{type="invoicing.sync.completed.v1"}' in invoicing
    assert 'dte_events_consumed_total{consumer="invoicing",type="accounting.sync.requested.v1"}' \
        in invoicing
    assert 'dte_documents_posted_total{source="document"}' in accounting
    assert 'dte_sync_sessions{state="confirmed"}' in accounting
    assert 'route="/internal/v1/proposals"' in accounting
