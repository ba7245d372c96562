"""A reading unit of work runs each statement on its own, outside a transaction."""

import asyncio
from datetime import date

import pytest
from sqlalchemy import text

from tests.integration.accounting.books_support import Books
from tests.integration.accounting.conftest import new_rut


async def test_each_read_is_its_own_transaction(services):
    async with services.reads() as uow:
        first = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
        second = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
    assert first != second
    async with services.uow() as uow:  # a use case that writes keeps its one transaction
        first = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
        second = (await uow.session.execute(text("SELECT txid_current()"))).scalar()
    assert first == second


async def test_a_reading_unit_of_work_refuses_to_commit(services):
    async with services.reads() as uow:
        with pytest.raises(TypeError, match="commits nothing"):
            await uow.commit()


async def test_a_polled_session_shows_its_counts_from_none_to_posted(client, services):
    """GET /v1/syncs/{id} reads the session and its counts in one statement (an outer
    join): a session with no documents yet is there with every count 0."""
    books = await Books.connected(client, services, new_rut)
    sync_id = await books.start_sync("2024-03-01", "2024-03-31")
    polled = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert polled["status"] == "requested"
    assert [polled[s] for s in ("ready", "held", "already_posted", "posted")] == [0, 0, 0, 0]
    sale = books.doc("sales", 33, 1, date(2024, 3, 5), net=100_000)
    refund = books.doc("sales", 33, 2, date(2024, 2, 5), net=100_000)  # outside the range
    await books.send([books.proposal(sync_id, d) for d in (sale, refund)])
    await books.complete(sync_id, [sale, refund])
    polled = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (polled["status"], polled["ready"], polled["held"]) == ("in_review", 1, 1)
    assert (await client.post(f"/v1/syncs/{sync_id}/confirm")).status_code == 200
    polled = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (polled["status"], polled["posted"], polled["held"], polled["ready"]) == (
        "confirmed", 1, 1, 0)


async def test_a_waiting_poll_answers_once_the_session_is_in_review(client, services,
                                                                    monkeypatch):
    """GET /v1/syncs/{id}?wait= waits while the session is delivering; intake rings its
    bell, so the answer comes with the change (no recheck in this test's lifetime)."""
    monkeypatch.setattr("accounting.service_layer.sync_moves.RECHECK_SECONDS", 600.0)
    books = await Books.connected(client, services, new_rut)
    sync_id = await books.start_sync("2024-03-01", "2024-03-31")
    sale = books.doc("sales", 33, 1, date(2024, 3, 5), net=100_000)
    await books.complete(sync_id, [sale])  # the count is known; the document is not here
    waiting = asyncio.create_task(client.get(f"/v1/syncs/{sync_id}", params={"wait": 30}))
    for _ in range(2_000):  # until the poll is listening
        if len(services.moves):
            break
        await asyncio.sleep(0.01)
    assert len(services.moves) == 1 and not waiting.done()
    await books.send([books.proposal(sync_id, sale)])
    answer = await asyncio.wait_for(waiting, 20)
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["ready"]) == ("in_review", 1)
    assert len(services.moves) == 0  # nobody listens any more


async def test_a_waiting_poll_answers_after_its_seconds_if_nothing_moved(client, services):
    books = await Books.connected(client, services, new_rut)
    sync_id = await books.start_sync("2024-03-01", "2024-03-31")
    answer = await client.get(f"/v1/syncs/{sync_id}", params={"wait": 0.2})
    assert (answer.status_code, answer.json()["status"]) == (200, "requested")
    too_long = await client.get(f"/v1/syncs/{sync_id}", params={"wait": 31})
    assert too_long.status_code == 422
