"""One transaction per use case: the changes and the events they cause commit together."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounting.adapters.manifests import ManifestRepository
from accounting.adapters.queries.balances import BalanceQueries
from accounting.adapters.remembered import RememberedRepository
from accounting.adapters.repository import Repository
from accounting.adapters.tables import outbox
from shared.events import CloudEvent, Contract
from shared.outbox import add_events


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker, on_events: Callable[[], None]):
        self._sessions = sessions
        self._on_events = on_events
        self._events: list[CloudEvent] = []
        self._after_commit: list[Callable[[], None]] = []
        self.session: AsyncSession
        self.repo: Repository
        self.manifests: ManifestRepository
        self.balances: BalanceQueries
        self.remembered: RememberedRepository

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._sessions()
        self.repo = Repository(self.session)
        self.manifests = ManifestRepository(self.session)
        self.balances = BalanceQueries(self.session)
        self.remembered = RememberedRepository(self.session)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # After a commit this is a no-op; otherwise nothing of the use case is kept.
        await self.session.rollback()
        await self.session.close()

    def emit(self, payload: Contract, *, subject: str | None = None,
             correlation_id: str | None = None) -> None:
        """Stage an event: it is written to the outbox by ``commit``, with the changes."""
        self._events.append(CloudEvent.wrap(payload, subject=subject,
                                            correlation_id=correlation_id))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the changes are committed (counting what was posted)."""
        self._after_commit.append(callback)

    async def commit(self) -> None:
        staged, self._events = self._events, []
        await self.repo.flush_counts()
        await add_events(self.session, outbox, staged)
        await self.session.commit()
        if staged:
            self._on_events()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


@dataclass
class Services:
    """What the use cases need: a way to open a unit of work, the relay's bell, how many
    documents confirm posts per transaction, after how long without progress an open sync
    session is stalled, and after how long a confirm without a page posted is taken as
    interrupted (and resumed)."""

    sessions: async_sessionmaker
    wake_relay: Callable[[], None] = field(default=lambda: None)
    page_size: int = 2_000
    stall_after: timedelta = timedelta(minutes=5)
    confirm_lease: timedelta = timedelta(seconds=30)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.wake_relay)
