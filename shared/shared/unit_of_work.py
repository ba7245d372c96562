"""One transaction per use case: the changes, the events they cause (outbox) and the
incoming event they answer (inbox) commit together, or none of them does.

Each service's UnitOfWork derives from this one, naming its outbox and inbox tables and
adding its repositories on entry.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, Self

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import inbox
from shared.events import CloudEvent, Contract
from shared.outbox import add_events


class UnitOfWork:
    outbox_table: ClassVar[Table]
    inbox_table: ClassVar[Table]
    # Attribute name → repository class, each made on entry over the transaction's session.
    repositories: ClassVar[Mapping[str, Callable[[AsyncSession], object]]] = {}
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker,
                 on_events_committed: Callable[[], None] | None = None):
        self._sessions = sessions
        # The relay's bell: events committed are published now rather than at its next poll.
        self._on_events_committed = on_events_committed
        self._forget()

    def _forget(self) -> None:
        self._events: list[CloudEvent] = []
        self._staged = 0
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._forget()
        for name, repository in self.repositories.items():
            setattr(self, name, repository(self.session))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            # After a commit this is a no-op; otherwise nothing of the use case is kept.
            await self.session.rollback()
        finally:
            await self.session.close()

    def emit(self, payload: Contract, *, subject: str | None = None,
             correlation_id: str | None = None) -> None:
        """Stage an event: it is written to the outbox by ``commit``, with the changes."""
        self._events.append(CloudEvent.wrap(payload, subject=subject,
                                            correlation_id=correlation_id))

    async def stage(self, events: Iterable[CloudEvent]) -> int:
        """Write events to the outbox now; they are published once this transaction
        commits."""
        count = await add_events(self.session, self.outbox_table, events)
        self._staged += count
        return count

    def staged_outside(self, count: int) -> None:
        """A repository wrote ``count`` outbox rows itself (in one statement with its
        change): the relay is woken on commit as for ``stage``."""
        self._staged += count

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the changes are committed (a metric of what was done)."""
        self._after_commit.append(callback)

    async def claim(self, event_id: str, event_type: str) -> bool:
        """Mark an incoming event processed; False if it already was (then do nothing)."""
        return await inbox.claim(self.session, self.inbox_table, event_id, event_type)

    async def processed(self, event_id: str) -> bool:
        """Whether an incoming event was already processed (claimed), without claiming it."""
        found = await self.session.execute(
            select(self.inbox_table.c.event_id).where(self.inbox_table.c.event_id == event_id))
        return found.first() is not None

    async def commit(self) -> None:
        await self.stage(self._events)
        await self.session.commit()
        staged, callbacks = self._staged, self._after_commit
        self._forget()
        if staged and self._on_events_committed is not None:
            self._on_events_committed()
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        await self.session.rollback()
        self._forget()
