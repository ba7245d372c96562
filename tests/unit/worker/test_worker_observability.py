"""The worker's metrics (batch sizes, posting latency) and the correlation id it forwards
to accounting."""

from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import REGISTRY

from integration_worker.adapters.accounting_client import AccountingClient
from integration_worker.service_layer.proposals import ProposeEntries
from shared.observability.correlation import correlation
from tests.unit.worker.test_posting_rules import COMPANY, PROFILE
from tests.unit.worker.test_propose_entries import FakeAccounting, synced


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_a_batch_observes_its_size_and_each_proposal_its_latency():
    batches = sample("dte_worker_batch_size_count")
    sizes = sample("dte_worker_batch_size_sum")
    latencies = sample("dte_worker_posting_latency_seconds_count")
    within_30s = {"le": "30.0"}
    fast = REGISTRY.get_sample_value("dte_worker_posting_latency_seconds_bucket", within_30s)
    old = synced(1)
    old.event.time = datetime.now(UTC) - timedelta(seconds=40)  # waited in the queue

    await ProposeEntries(FakeAccounting())([old, synced(2), synced(3)])

    assert sample("dte_worker_batch_size_count") == batches + 1
    assert sample("dte_worker_batch_size_sum") == sizes + 3
    assert sample("dte_worker_posting_latency_seconds_count") == latencies + 3
    # The one that waited 40 s is not within 30 s.
    assert REGISTRY.get_sample_value("dte_worker_posting_latency_seconds_bucket",
                                     within_30s) == fast + 2


async def test_calls_to_accounting_carry_the_correlation_id_being_handled():
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Correlation-Id"))
        return httpx.Response(200, content=PROFILE.model_dump_json())

    client = AccountingClient("http://accounting", transport=httpx.MockTransport(answer))
    try:
        with correlation("sync-77"):
            await client.posting_profile(COMPANY)
        await client.posting_profile(COMPANY)
    finally:
        await client.close()
    assert seen == ["sync-77", None]
