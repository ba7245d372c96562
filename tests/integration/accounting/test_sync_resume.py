"""Sync sessions that cannot progress say so and can be resumed; a confirm that stopped
half way says "confirming" and is finished; a second sync of dates still being received
is refused. On real PostgreSQL, through the API."""

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from accounting.adapters.tables import sync_sessions
from accounting.service_layer.syncs import confirm, resume_interrupted_confirms
from tests.integration.accounting.books_support import Books
from tests.integration.accounting.conftest import outbox_events
from tests.integration.accounting.test_confirm_pages import (
    Interrupted,
    _FailingUnitOfWork,
    _StopsHalfWay,
)

SYNC_REQUESTED = "accounting.sync.requested.v1"


async def age(services, sync_id: str, by: timedelta) -> None:
    """As if the session's last progress were ``by`` ago."""
    async with services.sessions() as session:
        await session.execute(update(sync_sessions).where(sync_sessions.c.id == sync_id)
                              .values(progress_at=datetime.now(UTC) - by))
        await session.commit()


async def interrupted_confirm(books: Books, services, documents: int) -> str:
    """A session whose confirm stopped after posting 4 of its documents."""
    start = date(2024, 7, 1)
    docs = [books.doc("sales", 33, 500 + i, start + timedelta(days=i % 20), net=5_000 * (i + 1))
            for i in range(documents)]
    sync_id = await books.sync("2024-07-01", "2024-07-31", docs, confirm=False)
    _FailingUnitOfWork.commits = 0
    try:
        await confirm(_StopsHalfWay(services, fail_after=3), sync_id)  # 2 pages of 2
        raise AssertionError("the confirm should have stopped")
    except Interrupted:
        pass
    return sync_id


async def test_an_interrupted_confirm_says_confirming_and_is_finished_by_a_replica(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    sync_id = await interrupted_confirm(books, services, 7)
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["posted"], state["ready"]) == ("confirming", 4, 3)
    assert state["confirmed_at"] is None
    # Late arrivals are held already: the confirm was accepted.
    late = books.doc("sales", 33, 999, date(2024, 7, 9), net=1_000)
    await books.send([books.proposal(sync_id, late)])
    assert (await books.documents(sync_id))[999]["status"] == "held"

    # Within the lease, the confirm may still be running somewhere: nobody takes it over.
    patient = replace(services, confirm_lease=timedelta(hours=1))
    assert await resume_interrupted_confirms(patient) == []
    # Past it (a replica's resumer, or the process started again), one replica finishes it.
    await age(services, sync_id, timedelta(minutes=5))
    eager = replace(services, confirm_lease=timedelta(seconds=60), page_size=2)
    assert await resume_interrupted_confirms(eager) == [sync_id]
    assert await resume_interrupted_confirms(eager) == []

    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["posted"], state["ready"]) == ("confirmed", 7, 0)
    assert state["confirmed_at"] is not None and state["stalled_reason"] is None
    entries = await books.entries(**{"from": "2024-07-01", "to": "2024-07-31"})
    assert len(entries) == 7 and len({e["source_key"] for e in entries}) == 7
    assert sorted(e["number"] for e in entries) == list(range(1, 8))


async def test_a_stopped_confirm_shows_stalled_and_resume_finishes_it(client, services, rut):
    books = await Books.connected(client, services, rut)
    sync_id = await interrupted_confirm(books, services, 5)
    await age(services, sync_id, timedelta(hours=1))
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert state["status"] == "stalled"
    assert "confirm stopped" in state["stalled_reason"]
    assert "1 documents are still ready" in state["stalled_reason"]

    resumed = await client.post(f"/v1/syncs/{sync_id}/resume")
    assert resumed.status_code == 202, resumed.text
    assert (resumed.json()["status"], resumed.json()["posted"]) == ("confirmed", 5)
    again = await client.post(f"/v1/syncs/{sync_id}/resume")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "confirmed" in again.json()["detail"]
    assert len(await books.entries(**{"from": "2024-07-01", "to": "2024-07-31"})) == 5


async def test_a_sync_without_progress_is_stalled_with_why_and_resume_asks_invoicing_again(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    docs = [books.doc("purchases", 33, 40 + i, date(2024, 8, 3 + i), net=20_000)
            for i in range(4)]
    sync_id = await books.start_sync("2024-08-01", "2024-08-31")
    fresh = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert fresh["status"] == "requested" and fresh["stalled_reason"] is None

    # Nothing from invoicing for longer than SYNC_STALL_SECONDS.
    await age(services, sync_id, timedelta(hours=1))
    stalled = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert stalled["status"] == "stalled"
    assert "no document has arrived" in stalled["stalled_reason"]
    listed = (await client.get(f"/v1/companies/{books.id}/syncs",
                               params={"status": "stalled"})).json()
    assert [s["id"] for s in listed] == [sync_id]

    resumed = await client.post(f"/v1/syncs/{sync_id}/resume")
    assert resumed.status_code == 202, resumed.text
    assert resumed.json()["status"] == "requested"  # moving again, not stalled
    requests = await outbox_events(services, SYNC_REQUESTED, sync_id=sync_id)
    assert len(requests) == 2 and requests[0].id != requests[1].id
    assert requests[1].data == requests[0].data

    # Half the documents, then silence: still waiting for invoicing's count.
    await books.send([books.proposal(sync_id, d) for d in docs[:2]])
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["status"] == "receiving"
    await age(services, sync_id, timedelta(hours=1))
    stalled = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert stalled["status"] == "stalled"
    assert "2 documents arrived" in stalled["stalled_reason"]
    assert "not said how many" in stalled["stalled_reason"]

    # The count is known and two documents never came: the reason points at dead letters.
    await books.complete(sync_id, docs)
    await age(services, sync_id, timedelta(hours=1))
    stalled = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert "2 of 4 documents arrived" in stalled["stalled_reason"]
    assert "dead-letter" in stalled["stalled_reason"]

    await books.send([books.proposal(sync_id, d) for d in docs[2:]])
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["stalled_reason"]) == ("in_review", None)
    refused = await client.post(f"/v1/syncs/{sync_id}/resume")
    assert refused.status_code == 409 and "confirm it" in refused.json()["detail"]


async def test_a_second_sync_of_dates_still_being_received_is_refused(client, services, rut):
    books = await Books.connected(client, services, rut)
    first = await books.start_sync("2024-01-01", "2024-03-31")
    for dates in (("2024-01-01", "2024-03-31"), ("2024-03-01", "2024-06-30"),
                  ("2023-12-01", "2024-01-01")):
        refused = await client.post(
            f"/v1/companies/{books.id}/integrations/factura-electronica/syncs",
            json={"from": dates[0], "to": dates[1]})
        assert refused.status_code == 409, (dates, refused.text)
        problem = refused.json()
        assert problem["sync_id"] == first and first in problem["detail"]
        assert "2024-01-01 to 2024-03-31" in problem["detail"]
    # Other dates go ahead, and the same dates do once the first is in review.
    other = await books.start_sync("2024-04-01", "2024-04-30")
    doc = books.doc("sales", 33, 7, date(2024, 2, 2), net=10_000)
    await books.send([books.proposal(first, doc)])
    await books.complete(first, [doc])
    assert (await client.get(f"/v1/syncs/{first}")).json()["status"] == "in_review"
    again = await books.start_sync("2024-01-01", "2024-03-31")
    assert again not in (first, other)


async def test_two_requests_for_the_same_dates_at_once_open_one_session(client, services, rut):
    books = await Books.connected(client, services, rut)
    path = f"/v1/companies/{books.id}/integrations/factura-electronica/syncs"
    answers = await asyncio.gather(*(client.post(path, json={"from": "2024-09-01",
                                                             "to": "2024-09-30"})
                                     for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [202, 409, 409, 409]
    opened = next(a.json()["id"] for a in answers if a.status_code == 202)
    assert all(a.json()["sync_id"] == opened for a in answers if a.status_code == 409)
    assert len(await outbox_events(services, SYNC_REQUESTED,
                                   accounting_company_id=books.id)) == 1
