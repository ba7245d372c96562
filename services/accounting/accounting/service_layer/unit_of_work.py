"""One transaction per use case: the changes and the events they cause commit together."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

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


UnitOfWorkFactory = Callable[[], UnitOfWork]
