"""Confirm posts in pages, each its own transaction: a small page size walks the same
path a year of documents takes (more than 32,767 keys, which one IN (…) cannot hold)."""

from dataclasses import replace
from datetime import date, timedelta

from accounting.adapters import repository
from accounting.service_layer.syncs import confirm
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from tests.integration.accounting.books_support import Books
from tests.integration.accounting.conftest import outbox_events


class Interrupted(RuntimeError):
    pass


class _FailingUnitOfWork(UnitOfWork):
    commits = 0

    async def commit(self) -> None:
        # The first commit confirms the session, the next ones are pages.
        if _FailingUnitOfWork.commits >= self.fail_after:
            raise Interrupted("the process stopped half way through the confirm")
        _FailingUnitOfWork.commits += 1
        await super().commit()


class _StopsHalfWay(Services):
    """Services whose confirm stops after a number of commits, like a crash would."""

    def __init__(self, services: Services, fail_after: int):
        super().__init__(services.sessions, page_size=2)
        self.fail_after = fail_after

    def uow(self) -> UnitOfWork:
        uow = _FailingUnitOfWork(self.sessions, self.wake_relay)
        uow.fail_after = self.fail_after
        return uow


async def test_confirm_posts_page_by_page_resumes_after_a_stop_and_never_twice(
        client, services, rut, monkeypatch):
    monkeypatch.setattr(repository, "IN_CHUNK", 3)  # every IN (…) list in several chunks
    books = await Books.connected(client, services, rut)
    start = date(2024, 5, 1)
    # Out of date order, so the posting order (date, tipo, folio) is not the arrival order.
    docs = [books.doc("sales" if i % 2 else "purchases", 33, 100 + i,
                      start + timedelta(days=(7 * i) % 9), net=10_000 * (i + 1))
            for i in range(9)]
    sync_id = await books.sync("2024-05-01", "2024-05-31", docs, confirm=False)
    # The same range synchronised twice before either is confirmed: the second finds at
    # confirm time (not at intake) that the books hold them.
    resync = await books.sync("2024-05-01", "2024-05-31", docs, confirm=False)

    _FailingUnitOfWork.commits = 0
    stopping = _StopsHalfWay(services, fail_after=3)  # confirmed + 2 pages of 2
    try:
        await confirm(stopping, sync_id)
        raise AssertionError("the confirm should have stopped")
    except Interrupted:
        pass
    # The status says what is true: the confirm has not finished.
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["posted"], state["ready"]) == ("confirming", 4, 5)

    # Confirming again finishes the job, in pages, without posting anything twice.
    summary = await confirm(replace(services, page_size=2), sync_id)
    assert summary == {"id": sync_id, "status": "confirmed", "posted": 9, "held": 0,
                       "already_posted": 0}
    assert await confirm(replace(services, page_size=2), sync_id) == summary
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["ready"]) == ("confirmed", 0)
    assert state["confirmed_at"] is not None

    entries = await books.entries(**{"from": "2024-05-01", "to": "2024-05-31"})
    assert len(entries) == 9
    assert sorted(e["number"] for e in entries) == list(range(1, 10))
    # Numbered in posting order: by date, then tipo and folio, across pages.
    by_number = sorted(entries, key=lambda e: e["number"])
    assert [e["entry_date"] for e in by_number] == sorted(e["entry_date"] for e in entries)
    assert len({e["source_key"] for e in entries}) == 9

    pages = await outbox_events(services, "accounting.entries.posted.v1", sync_id=sync_id)
    assert [len(p.data["entries"]) for p in pages] == [2, 2, 2, 2, 1]
    posted = [e for p in pages for e in p.data["entries"]]
    assert sorted(e["number"] for e in posted) == list(range(1, 10))
    assert {e["entry_id"] for e in posted} == {e["id"] for e in entries}

    assert (await client.get(f"/v1/syncs/{resync}")).json()["ready"] == 9
    assert await confirm(replace(services, page_size=2), resync) == {
        "id": resync, "status": "confirmed", "posted": 0, "held": 0, "already_posted": 9}
    assert len(await books.entries(**{"from": "2024-05-01", "to": "2024-05-31"})) == 9
