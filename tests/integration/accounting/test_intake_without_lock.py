"""Proposal batches of one session are stored side by side (no lock on the session for
the whole batch): counts still add up, a key is stored once, and a confirm that comes in
while a batch is on its way makes that batch late arrivals, as before."""

import asyncio
from datetime import date, timedelta

from accounting.adapters.syncs import SyncRepository
from accounting.service_layer import proposals
from accounting.service_layer.syncs import confirm
from shared.internal_api import ProposalBatch
from tests.integration.accounting.books_support import Books
from tests.integration.accounting.conftest import AS_WORKER


async def test_concurrent_batches_of_one_session_add_up(client, services, rut):
    books = await Books.connected(client, services, rut)
    docs = [books.doc("sales", 33, 500 + i, date(2024, 6, 1) + timedelta(days=i % 28),
                      net=1_000 * (i + 1)) for i in range(40)]
    sync_id = await books.start_sync("2024-06-01", "2024-06-30")
    await books.complete(sync_id, docs)
    batches = [[books.proposal(sync_id, d) for d in docs[start:start + 15]]
               for start in range(0, 40, 10)]  # overlapping: 10..14, 20..24, 30..34 twice
    results = await asyncio.gather(*(
        proposals.receive(services, ProposalBatch(proposals=batch)) for batch in batches))
    assert sum(r.accepted for r in results) == 40
    assert sum(r.duplicates for r in results) == sum(len(b) for b in batches) - 40
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["received"], state["expected"], state["ready"]) == (
        "in_review", 40, 40, 40)


async def test_a_confirm_while_a_batch_is_stored_holds_that_batch(
        client, services, rut, monkeypatch):
    books = await Books.connected(client, services, rut)
    docs = [books.doc("sales", 33, 900 + i, date(2024, 7, 2), net=10_000) for i in range(3)]
    sync_id = await books.start_sync("2024-07-01", "2024-07-31")
    await books.send([books.proposal(sync_id, docs[0])])
    await books.complete(sync_id, docs[:1])  # in review with one document

    stored_source_keys = SyncRepository.stored_source_keys

    async def confirmed_meanwhile(self, *args, **kwargs):
        # The batch read the session in review; the user confirms before it stores them.
        # (Once the batch has inserted, its count of the documents received updates the
        # session's row, which gives it the status a confirm left.)
        await confirm(services, sync_id)
        return await stored_source_keys(self, *args, **kwargs)

    monkeypatch.setattr(SyncRepository, "stored_source_keys", confirmed_meanwhile)
    await books.send([books.proposal(sync_id, d) for d in docs[1:]])
    monkeypatch.undo()

    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["posted"], state["held"], state["ready"]) == (
        "confirmed", 1, 2, 0)
    held = [d for d in (await books.documents(sync_id)).values() if d["status"] == "held"]
    assert all("after the sync session was confirmed" in d["hold_reason"] for d in held)


async def test_an_invalid_batch_answers_a_validation_problem(client):
    bad = await client.post("/internal/v1/proposals", auth=AS_WORKER,
                            content=b'{"proposals": [{"sync_id": "x", "company_rut": "1-2"}]}',
                            headers={"content-type": "application/json"})
    assert bad.status_code == 422, bad.text
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"proposals.0.company_rut", "proposals.0.source_key"} <= fields
    broken = await client.post("/internal/v1/proposals", auth=AS_WORKER, content=b"{not json",
                               headers={"content-type": "application/json"})
    assert broken.status_code == 422
