"""A range sync's payments page (invoicing.payments.synced.v1) on the real RabbitMQ: a
proposal of the sync per payment, under the key its live event has."""

import uuid
from datetime import date

from shared.events import CloudEvent, Counterparty, PaymentKind, PaymentRecorded, PaymentsSynced
from tests.integration.worker.conftest import COMPANY, publish, wait_until


def payment(payment_id: str, amount: int) -> PaymentRecorded:
    return PaymentRecorded(
        payment_id=payment_id, company_rut=COMPANY, kind=PaymentKind.PAYMENT,
        counterparty=Counterparty(rut="12345678-5", name="Ferretería Sur Ltda."),
        amount=amount, paid_on=date(2024, 5, 31))


async def test_a_page_of_a_syncs_payments_becomes_its_proposals(topology, channel,
                                                                  accounting, worker):
    sync_id = f"sync-{uuid.uuid4().hex[:8]}"
    ids = [f"pay-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    page = CloudEvent.wrap(PaymentsSynced(
        sync_id=sync_id, company_rut=COMPANY, page=1,
        payments=tuple(payment(i, 10_000 * n) for n, i in enumerate(ids, start=1))))
    live = CloudEvent.wrap(payment(ids[0], 10_000))  # the first one went live too
    await publish(channel, topology, [page, live])

    await wait_until(lambda: len(accounting.stored(sync_id)) == 3)
    stored = accounting.stored(sync_id)
    assert set(stored) == {f"payment:{i}" for i in ids}
    first = stored[f"payment:{ids[0]}"]
    assert (first.sync_id, first.event_id, first.document) == (sync_id, page.id, None)
    assert first.payment.amount == 10_000 and stored[f"payment:{ids[2]}"].payment.amount == 30_000
    # The live event of the same payment: the same key, so accounting keeps one entry.
    await wait_until(lambda: any(p.sync_id is None and p.source_key == f"payment:{ids[0]}"
                                 for b in accounting.batches for p in b.proposals))
