"""One transaction per use case: the changes and the events they cause commit together."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Self

from sqlalchemy.ext.asyncio import async_sessionmaker

from accounting.adapters.companies import CompanyRepository
from accounting.adapters.journal import JournalRepository
from accounting.adapters.manifests import ManifestRepository
from accounting.adapters.queries import Queries
from accounting.adapters.queries.balances import BalanceQueries
from accounting.adapters.remembered import RememberedRepository
from accounting.adapters.settings import SettingsRepository
from accounting.adapters.syncs import SyncRepository
from accounting.adapters.tables import outbox, processed_messages
from accounting.service_layer.owners import Owners
from accounting.service_layer.sync_moves import SyncMoves
from shared.unit_of_work import UnitOfWork as BaseUnitOfWork


class UnitOfWork(BaseUnitOfWork):
    outbox_table = outbox
    inbox_table = processed_messages
    repositories = {"companies": CompanyRepository, "syncs": SyncRepository,
                    "journal": JournalRepository, "settings": SettingsRepository,
                    "queries": Queries, "manifests": ManifestRepository,
                    "balances": BalanceQueries, "remembered": RememberedRepository}
    companies: CompanyRepository
    syncs: SyncRepository
    journal: JournalRepository
    settings: SettingsRepository
    queries: Queries
    manifests: ManifestRepository
    balances: BalanceQueries
    remembered: RememberedRepository

    async def commit(self) -> None:
        # The documents' counts a use case kept in memory are written with its changes.
        await self.syncs.flush_counts()
        await super().commit()


class ReadingUnitOfWork(UnitOfWork):
    """Reads only, each statement on its own (autocommit): no BEGIN and ROLLBACK around
    them, two round trips that cost a poll as much as its reads did. Under READ COMMITTED
    each statement sees its own snapshot inside a transaction too, so the reads see what
    they would have; what must lock or write takes ``Services.uow``."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return self

    async def commit(self) -> None:
        raise TypeError("a reading unit of work commits nothing: write in Services.uow()")


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
    # The contract each resource belongs to, as found (access.py): it never changes.
    owners: Owners = field(default_factory=Owners)
    # Where GET /v1/syncs/{id}?wait= waits for a session to move on (sync_moves.py).
    moves: SyncMoves = field(default_factory=SyncMoves)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.wake_relay)

    def reads(self) -> ReadingUnitOfWork:
        """A unit of work for a use case that only reads (and locks nothing)."""
        return ReadingUnitOfWork(self.sessions, self.wake_relay)


UnitOfWorkFactory = Callable[[], UnitOfWork]
