"""One transaction per use case: repositories, the outbox and the inbox share it."""

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoicing.adapters import tables
from invoicing.adapters.repositories import (
    CompanyRepository,
    DocumentRepository,
    IntegrationLinkRepository,
    PaymentRepository,
)
from invoicing.adapters.sync_exports import SyncExportRepository
from shared import inbox
from shared.events import CloudEvent
from shared.outbox import add_events


class UnitOfWork:
    session: AsyncSession
    companies: CompanyRepository
    documents: DocumentRepository
    links: IntegrationLinkRepository
    payments: PaymentRepository
    exports: SyncExportRepository

    def __init__(self, sessions: async_sessionmaker, on_events_committed: Callable[[], None]
                 | None = None):
        self._sessions = sessions
        self._on_events_committed = on_events_committed
        self._staged = 0

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._sessions()
        self.companies = CompanyRepository(self.session)
        self.documents = DocumentRepository(self.session)
        self.links = IntegrationLinkRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.exports = SyncExportRepository(self.session)
        self._staged = 0
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.session.rollback()  # a no-op after commit
        finally:
            await self.session.close()

    async def claim(self, event_id: str, event_type: str) -> bool:
        """Mark an incoming event processed; False if it already was."""
        return await inbox.claim(self.session, tables.processed_messages, event_id, event_type)

    async def processed(self, event_id: str) -> bool:
        """Whether an incoming event was already processed (claimed), without claiming it."""
        found = await self.session.execute(
            select(tables.processed_messages.c.event_id)
            .where(tables.processed_messages.c.event_id == event_id))
        return found.first() is not None

    async def stage(self, events: Iterable[CloudEvent]) -> int:
        """Write events to the outbox; they are published once this transaction commits."""
        count = await add_events(self.session, tables.outbox, events)
        self._staged += count
        return count

    def staged_outside(self, count: int) -> None:
        """A repository wrote ``count`` outbox rows itself (in one statement with its
        change): the relay is woken on commit as for ``stage``."""
        self._staged += count

    async def commit(self) -> None:
        await self.session.commit()
        staged, self._staged = self._staged, 0
        if staged and self._on_events_committed is not None:
            self._on_events_committed()

    async def rollback(self) -> None:
        await self.session.rollback()
        self._staged = 0


UnitOfWorkFactory = Callable[[], UnitOfWork]
