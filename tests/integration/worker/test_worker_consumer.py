"""The worker's consumer on the real RabbitMQ, handing proposals to a real HTTP server."""

import asyncio
import os
import signal
import sys
import uuid

from shared.events import CloudEvent, InvoiceSynced
from tests.integration.worker.conftest import (
    COMPANY,
    dead_lettered,
    invoice_synced,
    invoices_synced,
    publish,
    wait_until,
)


def new_sync() -> str:
    return f"sync-{uuid.uuid4().hex[:8]}"


async def test_documents_arrive_as_batched_proposals_with_their_lines(
    topology, channel, accounting, worker
):
    sync_id = new_sync()
    events = [invoice_synced(sync_id, folio) for folio in range(1, 21)]
    events.append(invoice_synced(sync_id, 21, net=1_000, total=5_000))  # does not add up
    await publish(channel, topology, events)

    await wait_until(lambda: len(accounting.stored(sync_id)) == 21)
    stored = accounting.stored(sync_id)
    sizes = [len(b.proposals) for b in accounting.batches]
    assert max(sizes) > 1, f"expected batches, got requests of sizes {sizes}"

    first = stored[f"sales:{COMPANY}:33:1"]
    assert first.event_id == events[0].id
    assert first.company_rut == COMPANY and first.document.folio == 1
    entry = first.entry
    assert entry.glosa == "Factura electrónica N° 1 — Ferretería Sur Ltda. (12345678-5)"
    assert [(line.account_code, line.role, line.debit, line.credit, line.counterparty_rut)
            for line in entry.lines] == [
        ("110310", "auxiliary", 119_000, 0, "12345678-5"),
        ("310115", "detail", 0, 100_000, None),
        ("210710", "vat_debit", 0, 19_000, None),
    ]
    held = stored[f"sales:{COMPANY}:33:21"]
    assert held.entry is None
    assert "= $1.190, but the total is $5.000" in held.hold_reason


async def test_pages_of_a_sync_become_a_proposal_per_document(
    topology, channel, accounting, worker
):
    sync_id = new_sync()
    pages = [invoices_synced(sync_id, n, range(1 + (n - 1) * 500, 1 + n * 500))
             for n in range(1, 7)]
    live = invoice_synced(None, 9_001)
    await publish(channel, topology, [pages[0], live, *pages[1:]])

    await wait_until(lambda: len(accounting.stored(sync_id)) == 3_000)
    stored = accounting.stored(sync_id)
    assert set(stored) == {f"sales:{COMPANY}:33:{folio}" for folio in range(1, 3_001)}
    assert all(p.entry is not None and p.sync_id == sync_id for p in stored.values())
    assert stored[f"sales:{COMPANY}:33:501"].event_id == pages[1].id
    await wait_until(lambda: any(p.source_key == f"sales:{COMPANY}:33:9001"
                                 for b in accounting.batches for p in b.proposals))
    # Several pages go in one request, never more than the internal API takes.
    sizes = [len(b.proposals) for b in accounting.batches]
    assert max(sizes) > 500 and max(sizes) <= 2_000, sizes


async def test_a_page_delivered_twice_hands_over_the_same_proposals(
    topology, channel, accounting, worker
):
    """Accounting keeps a proposal once per (sync_id, source_key): the worker need not
    remember pages, only hand over the same proposals again (see the e2e test)."""
    sync_id = new_sync()
    page = invoices_synced(sync_id, 1, range(1, 11))
    await publish(channel, topology, [page, page])

    def handed():
        return [p for b in accounting.batches for p in b.proposals if p.sync_id == sync_id]

    await wait_until(lambda: len(handed()) == 20)
    first, second = handed()[:10], handed()[10:]
    assert [p.model_dump() for p in first] == [p.model_dump() for p in second]


async def test_a_503_from_accounting_is_retried_and_nothing_is_lost(
    topology, channel, accounting, worker
):
    accounting.fail_posts = 1
    sync_id = new_sync()
    events = [invoice_synced(sync_id, folio) for folio in range(1, 6)]
    await publish(channel, topology, events)

    await wait_until(lambda: len(accounting.stored(sync_id)) == 5)
    assert accounting.fail_posts == 0
    assert accounting.post_attempts >= 2
    assert {p.event_id for p in accounting.stored(sync_id).values()} == {e.id for e in events}


async def test_poison_messages_are_dead_lettered_while_the_others_go_through(
    topology, channel, accounting, worker
):
    await dead_lettered(channel, topology)  # start from an empty dead-letter queue
    unknown_company = "60805000-0"
    accounting.unknown_companies.add(unknown_company)
    sync_id = new_sync()
    good = [invoice_synced(sync_id, folio) for folio in range(1, 4)]
    broken = invoice_synced(sync_id, 99).model_dump(mode="json")
    broken["data"]["document"]["company_rut"] = "12345678-9"  # wrong check digit
    invalid_payload = ("poison-payload", InvoiceSynced.event_type,
                       CloudEvent.model_validate(broken).model_dump_json().encode())
    not_json = ("poison-not-json", InvoiceSynced.event_type, b"{not json")
    # Valid, but accounting answers 404 every time: retried up to the delivery limit.
    refused = invoice_synced(sync_id, 50, company_rut=unknown_company)

    await publish(channel, topology,
                  [good[0], invalid_payload, good[1], not_json, refused, good[2]])

    await wait_until(lambda: len(accounting.stored(sync_id)) == 3)
    assert set(accounting.stored(sync_id)) == {f"sales:{COMPANY}:33:{n}" for n in (1, 2, 3)}

    seen: list[str] = []

    async def all_dead_lettered() -> bool:
        seen.extend(await dead_lettered(channel, topology))
        return {"poison-payload", "poison-not-json", refused.id} <= set(seen)

    deadline = asyncio.get_running_loop().time() + 30
    while not await all_dead_lettered():
        assert asyncio.get_running_loop().time() < deadline, f"dead-lettered so far: {seen}"
        await asyncio.sleep(0.2)


async def test_run_command_consumes_and_stops_cleanly_on_sigterm(
    topology, channel, accounting, settings
):
    env = {
        **os.environ,
        "AMQP_URL": settings.amqp_url,
        "EVENT_EXCHANGE": settings.event_exchange,
        "QUEUE_PREFIX": settings.queue_prefix,
        "DELIVERY_LIMIT": str(settings.delivery_limit),
        "ACCOUNTING_URL": accounting.url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "integration_worker", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        sync_id = new_sync()
        await publish(channel, topology, [invoice_synced(sync_id, 7)])
        await wait_until(lambda: len(accounting.stored(sync_id)) == 1)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode()
    assert b"stopped" in output


async def test_migrate_command_says_there_is_nothing_to_migrate():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "integration_worker", "migrate", cwd="/",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    assert b"nothing to migrate" in output


async def test_a_recorded_payment_arrives_as_a_live_proposal(topology, channel, accounting,
                                                            worker):
    from datetime import date

    from shared.events import Counterparty, PaymentKind, PaymentRecorded

    payment_id = f"pay-{uuid.uuid4().hex[:8]}"
    event = CloudEvent.wrap(PaymentRecorded(
        payment_id=payment_id, company_rut=COMPANY, kind=PaymentKind.COLLECTION,
        counterparty=Counterparty(rut="12345678-5", name="Ferretería Sur Ltda."),
        amount=119_000, paid_on=date(2024, 5, 31)))
    await publish(channel, topology, [event])

    def arrived():
        return [p for b in accounting.batches for p in b.proposals
                if p.source_key == f"payment:{payment_id}"]

    await wait_until(lambda: bool(arrived()))
    [proposal] = arrived()
    assert proposal.sync_id is None and proposal.event_id == event.id
    # The stand-in's profile has no collections account: it waits, saying which to set.
    assert proposal.entry is None
    assert "collections_account" in proposal.hold_reason
