"""The use case with an in-memory accounting, and the HTTP client's retry policy."""

import logging

import httpx
import pytest

from integration_worker.adapters.accounting_client import (
    AccountingClient,
    AccountingFailed,
    AccountingRejected,
    AccountingUnavailable,
)
from integration_worker.service_layer.ports import StaleSettings
from integration_worker.service_layer.proposals import STALE_SETTINGS_ATTEMPTS, ProposeEntries
from shared.events import CloudEvent, InvoicesSynced, InvoiceSynced, SettingsChanged
from shared.internal_api import STALE_SETTINGS, Proposal, ProposalBatch, ProposalResult
from shared.messaging import Delivery
from shared.observability.correlation import current_correlation_id
from shared.unavailable import is_unavailable
from tests.unit.worker.test_posting_rules import COMPANY, PROFILE, doc


class FakeAccounting:
    def __init__(self):
        self.profile_requests: list[str] = []
        self.batches: list[ProposalBatch] = []

    async def posting_profile(self, company_rut):
        self.profile_requests.append(company_rut)
        return PROFILE

    async def submit(self, batch):
        self.batches.append(batch)
        return ProposalResult(accepted=len(batch.proposals), duplicates=0)


def delivery(payload) -> Delivery:
    return Delivery(event=CloudEvent.wrap(payload), payload=payload)


def synced(folio, *, total=119, sync_id="s-1"):
    document = doc("sales", 33, net=100, vat=19, total=total, folio=folio)
    return delivery(InvoiceSynced(sync_id=sync_id, document=document))


async def test_a_batch_becomes_one_request_of_proposals_and_holds():
    accounting = FakeAccounting()
    handle = ProposeEntries(accounting)
    batch = [synced(1), synced(2, total=500)]
    await handle(batch)

    [sent] = accounting.batches
    ok, held = sent.proposals
    assert (ok.event_id, ok.sync_id, ok.company_rut) == (batch[0].event.id, "s-1", COMPANY)
    assert ok.source_key == f"sales:{COMPANY}:33:1"
    assert ok.entry is not None and ok.hold_reason is None
    assert held.entry is None and "but the total is $500" in held.hold_reason
    assert accounting.profile_requests == [COMPANY]


async def test_the_profile_is_cached_until_settings_change():
    accounting = FakeAccounting()
    handle = ProposeEntries(accounting)
    await handle([synced(1)])
    await handle([synced(2)])
    assert accounting.profile_requests == [COMPANY]

    changed = SettingsChanged(accounting_company_id="c-1", company_rut=COMPANY)
    await handle([delivery(changed), synced(3)])
    assert accounting.profile_requests == [COMPANY, COMPANY]


class ChangingAccounting(FakeAccounting):
    """Accounting whose settings moved to version 2 (a new detail account) after the
    worker cached version 1: it refuses batches built with version 1, as the real one."""

    def __init__(self):
        super().__init__()
        self.version = 1

    async def posting_profile(self, company_rut):
        self.profile_requests.append(company_rut)
        sales = PROFILE.sales.model_copy(update={"detail_account": f"31012{self.version}"})
        return PROFILE.model_copy(update={"settings_version": self.version, "sales": sales})

    async def submit(self, batch):
        self.batches.append(batch)
        used = batch.settings_versions[PROFILE.accounting_company_id]
        if used != self.version:
            raise StaleSettings(f"version {self.version}, the batch used {used}", {COMPANY})
        return ProposalResult(accepted=len(batch.proposals), duplicates=0)


async def test_a_batch_built_with_stale_settings_is_built_again_with_fresh_ones():
    # The other worker heard settings.changed; this one only learns it from accounting.
    accounting = ChangingAccounting()
    handle = ProposeEntries(accounting)
    await handle([synced(1)])
    accounting.version = 2
    await handle([synced(2), synced(3)])

    refused, again = accounting.batches[1:]
    assert refused.settings_versions == {PROFILE.accounting_company_id: 1}
    assert again.settings_versions == {PROFILE.accounting_company_id: 2}
    assert [p.source_key for p in again.proposals] == [p.source_key for p in refused.proposals]
    details = {line.account_code for p in again.proposals for line in p.entry.lines
               if line.role == "detail"}
    assert details == {"310122"}
    assert accounting.profile_requests == [COMPANY, COMPANY]


async def test_settings_that_keep_changing_fail_the_batch_after_a_few_attempts():
    class Restless(ChangingAccounting):
        async def posting_profile(self, company_rut):
            profile = await super().posting_profile(company_rut)
            self.version += 1  # changed again before the batch arrives
            return profile

    accounting = Restless()
    with pytest.raises(StaleSettings):
        await ProposeEntries(accounting)([synced(1)])
    assert len(accounting.batches) == STALE_SETTINGS_ATTEMPTS


async def test_the_client_raises_stale_settings_for_accountings_409():
    problem = {"type": STALE_SETTINGS, "title": "Settings changed", "status": 409,
               "detail": "changed", "stale": [{"accounting_company_id": "c-1",
                                               "company_ruts": [COMPANY], "version": 3}]}
    other = {"type": "/problems/conflict", "title": "Conflict", "status": 409, "detail": "no"}
    answers = iter([problem, other])

    def reply(request):
        return httpx.Response(409, json=next(answers))

    client = AccountingClient("http://accounting", transport=httpx.MockTransport(reply))
    batch = ProposalBatch(proposals=[Proposal(
        event_id="e", sync_id="s", company_rut=COMPANY, source_key="k",
        document=doc("sales", 33, net=100, vat=19, total=119), hold_reason="x")])
    with pytest.raises(StaleSettings) as stale:
        await client.submit(batch)
    assert stale.value.company_ruts == {COMPANY}
    with pytest.raises(AccountingRejected) as rejected:
        await client.submit(batch)
    assert not isinstance(rejected.value, StaleSettings)
    await client.close()


async def test_settings_changes_alone_send_nothing():
    accounting = FakeAccounting()
    await ProposeEntries(accounting)(
        [delivery(SettingsChanged(accounting_company_id="c-1", company_rut=COMPANY))]
    )
    assert accounting.batches == []


async def test_large_batches_go_in_chunks_of_at_most_2000():
    accounting = FakeAccounting()
    await ProposeEntries(accounting)([synced(folio) for folio in range(1, 4502)])
    assert [len(b.proposals) for b in accounting.batches] == [2000, 2000, 501]


def page(number, folios, *, sync_id="s-1"):
    documents = tuple(doc("sales", 33, net=100, vat=19, total=119, folio=f) for f in folios)
    return delivery(InvoicesSynced(sync_id=sync_id, company_rut=COMPANY, page=number,
                                   documents=documents))


async def test_a_page_becomes_a_proposal_per_document():
    accounting = FakeAccounting()
    pages = [page(1, range(1, 1501)), page(2, range(1501, 3001))]
    await ProposeEntries(accounting)([synced(9001, sync_id=None), *pages])
    proposals = [p for b in accounting.batches for p in b.proposals]
    assert [len(b.proposals) for b in accounting.batches] == [2000, 1001]
    live, *documents = proposals
    assert (live.sync_id, live.source_key) == (None, f"sales:{COMPANY}:33:9001")
    assert [p.source_key for p in documents] == [
        f"sales:{COMPANY}:33:{folio}" for folio in range(1, 3001)]
    assert {p.sync_id for p in documents} == {"s-1"}
    # Each proposal names the page it came in, for tracing.
    assert {p.event_id for p in documents[:1500]} == {pages[0].event.id}
    assert {p.event_id for p in documents[1500:]} == {pages[1].event.id}
    assert all(p.entry is not None for p in documents)


# --- HTTP client -----------------------------------------------------------------------


def client_with(responses: list, calls: list) -> AccountingClient:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path))
        outcome = responses.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return AccountingClient("http://accounting.test/", retries=3, backoff=0.001,
                            transport=httpx.MockTransport(handler))


async def test_transient_failures_are_retried():
    calls: list = []
    client = client_with([
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(503, json={"title": "Service Unavailable"}),
        httpx.Response(200, json=PROFILE.model_dump(mode="json")),
    ], calls)
    assert await client.posting_profile(COMPANY) == PROFILE
    assert calls == [("GET", f"/internal/v1/integrations/{COMPANY}/posting-profile")] * 4
    await client.close()


async def test_retries_run_out():
    calls: list = []
    client = client_with([httpx.Response(502, text="bad gateway")] * 4, calls)
    with pytest.raises(AccountingUnavailable, match="failed 4 times, last: 502: bad gateway"):
        await client.posting_profile(COMPANY)
    await client.close()


async def test_unavailable_is_waited_out_and_a_lasting_500_is_the_batchs_own_failure():
    """503 (accounting's database down) and connection errors are a dependency being
    unavailable, which the consumer waits out; a 500 on every try is the request's own
    failure, which spends deliveries and ends in the dead-letter queue."""
    client = client_with([httpx.ConnectError("refused")] * 4, [])
    with pytest.raises(AccountingUnavailable) as unavailable:
        await client.posting_profile(COMPANY)
    assert is_unavailable(unavailable.value)
    client = client_with([httpx.Response(503, json={"title": "Service unavailable"})] * 4, [])
    with pytest.raises(AccountingUnavailable):
        await client.posting_profile(COMPANY)
    client = client_with([httpx.Response(500, json={"title": "Internal error"})] * 4, [])
    with pytest.raises(AccountingFailed, match="failed 4 times, last: 500") as failed:
        await client.posting_profile(COMPANY)
    assert not is_unavailable(failed.value)
    await client.close()


async def test_a_4xx_is_raised_at_once_with_the_problem_detail():
    calls: list = []
    problem = {"type": "about:blank", "title": "Not Found", "status": 404,
               "detail": "no approved integration for company 76354771-K"}
    client = client_with([httpx.Response(404, json=problem)], calls)
    with pytest.raises(AccountingRejected,
                       match="404: Not Found — no approved integration") as raised:
        await client.posting_profile(COMPANY)
    assert raised.value.status_code == 404
    assert len(calls) == 1
    await client.close()


async def test_submit_posts_the_batch():
    calls: list = []
    bodies: list = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path, request.headers["content-type"]))
        bodies.append(request.content)
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0})

    client = AccountingClient("http://accounting.test/", transport=httpx.MockTransport(handler))
    await ProposeEntries(client)([])  # nothing to send: no request
    assert calls == []
    accounting = FakeAccounting()
    await ProposeEntries(accounting)([synced(1)])
    result = await client.submit(accounting.batches[0])
    assert result == ProposalResult(accepted=1, duplicates=0)
    assert calls == [("POST", "/internal/v1/proposals", "application/json")]
    assert ProposalBatch.model_validate_json(bodies[0]) == accounting.batches[0]
    await client.close()


async def test_a_batch_of_several_syncs_logs_each_under_its_own_correlation_id():
    seen: list[tuple[str, str | None]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), current_correlation_id()))

    logger = logging.getLogger("integration_worker.service_layer.proposals")
    recorder, level = Recorder(), logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    try:
        await ProposeEntries(FakeAccounting())(
            [page(1, range(1, 4), sync_id="s-1"), page(1, range(4, 6), sync_id="s-2"),
             synced(9, sync_id=None)])
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
    assert [(m.split(" of sync ")[1].split(" ")[0], cid) for m, cid in seen
            if m.startswith("handed")] == [("s-1", "s-1"), ("s-2", "s-2")]
