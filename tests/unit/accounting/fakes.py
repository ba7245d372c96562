"""A fake unit of work for accounting's use cases (cosmicpython's FakeUnitOfWork): each
repository over in-memory domain records, with the methods of the real one
(accounting.adapters; tests/integration/accounting tests those on PostgreSQL and SQLite).

What the fakes keep of the real ones' guarantees: a document is stored once per (session,
key), as the unique index does; the books refuse a second active entry for a key and an
entry that does not balance, as the partial unique index and posting's rules must never
let through (a test that reaches them fails loudly). What they leave out: locks, and
rollback. A change is kept as it is made, committed or not; a refusal's test checks that
the use case committed nothing and staged no event (``FakeUnitOfWork.committed``,
``FakeBooks.outbox``) and asks the records what they hold.

Several units of work share one ``FakeBooks`` (``FakeServices.uow`` makes one per use
case, as confirm opens one per page); events reach ``outbox`` only on commit.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from accounting.adapters.syncs import posting_cursor
from accounting.domain.accounts import Account
from accounting.domain.companies import Company, CompanyStatus, Contract
from accounting.domain.integrations import IntegrationLink
from accounting.domain.journal import JournalEntry, JournalLine, PostedSince
from accounting.domain.payments import AWAITING_DOCUMENT
from accounting.domain.periods import CLOSED_PERIOD, Period, PeriodStatus, month_of
from accounting.domain.reconciliation import InvoicingDocument, ManifestState
from accounting.domain.remembered import NamedRemembered, RememberedAccount
from accounting.domain.settings import IntegrationOptions, InvoiceSettings, SettingsVersion
from accounting.domain.syncs import (
    CLOSED,
    DELIVERING,
    RESUMABLE,
    DocumentStatus,
    SyncDocument,
    SyncKind,
    SyncSession,
    SyncStatus,
    progress,
)
from accounting.service_layer.owners import Owners
from accounting.service_layer.sync_moves import SyncMoves
from shared.events import CloudEvent
from shared.events import Contract as EventContract


def now() -> datetime:
    return datetime.now(UTC)


class BooksRefused(AssertionError):
    """What the database would refuse (a key posted twice, an entry that does not
    balance): a use case that gets here has a bug."""


class FakeCompanies:
    def __init__(self) -> None:
        self.contracts: dict[str, Contract] = {}
        self.companies: dict[str, Company] = {}
        self.charts: dict[str, dict[str, Account]] = {}
        self.links: dict[str, IntegrationLink] = {}  # by invoicing company RUT
        self.locked: list[str] = []  # company ids, in the order use cases locked them

    async def add_contract(self, rut: str, name: str) -> None:
        self.contracts[rut] = Contract(rut, name, now())

    async def get_contract(self, rut: str) -> Contract | None:
        return self.contracts.get(rut)

    async def add_company(self, company: dict[str, Any], chart: Iterable[Account]) -> None:
        self.companies[company["id"]] = Company(**{
            "last_entry_number": 0, "created_at": now(), **company,
            "status": CompanyStatus(company["status"])})
        self.charts[company["id"]] = {a.code: a for a in chart}

    async def get_company(self, company_id: str, *, lock: bool = False) -> Company | None:
        if lock:
            self.locked.append(company_id)
        return self.companies.get(company_id)

    async def set_company_status(self, company_id: str, status: CompanyStatus) -> None:
        self.companies[company_id] = replace(self.companies[company_id], status=status)

    async def list_accounts(self, company_id: str) -> list[Account]:
        return sorted(self.charts.get(company_id, {}).values(), key=lambda a: a.code)

    async def chart(self, company_id: str) -> dict[str, Account]:
        return dict(self.charts.get(company_id, {}))

    async def add_account(self, company_id: str, account: Account) -> None:
        self.charts.setdefault(company_id, {})[account.code] = account

    async def save_link(self, company_rut: str, company_id: str, request_id: str) -> None:
        self.links[company_rut] = IntegrationLink(company_rut, company_id, request_id, now())

    async def delete_link(self, company_rut: str) -> None:
        self.links.pop(company_rut, None)

    async def link_for_rut(self, company_rut: str) -> IntegrationLink | None:
        return self.links.get(company_rut)

    async def link_for_company(self, company_id: str) -> IntegrationLink | None:
        links = [link for link in self.links.values() if link.company_id == company_id]
        return max(links, key=lambda link: link.approved_at, default=None)


class FakeJournal:
    def __init__(self, companies: FakeCompanies):
        self._companies = companies
        self.entries: dict[str, JournalEntry] = {}
        self.lines: dict[str, list[JournalLine]] = {}
        self.periods: dict[tuple[str, str], Period] = {}
        self.counterparties: dict[tuple[str, str], str] = {}  # (company, RUT) → name

    def active(self, company_id: str) -> dict[str, JournalEntry]:
        """The company's entries that stand, by key."""
        return {e.source_key: e for e in self.entries.values()
                if e.company_id == company_id and e.source_key is not None
                and e.reversed_by_entry_id is None}

    async def take_entry_numbers(self, company_id: str, count: int) -> int:
        company = self._companies.companies[company_id]
        last = company.last_entry_number + count
        self._companies.companies[company_id] = replace(company, last_entry_number=last)
        return last - count + 1

    async def posted_source_keys(self, company_id: str, keys: Iterable[str]) -> set[str]:
        return set(self.active(company_id)) & set(keys)

    async def posted_since(self, company_id: str, number: int) -> PostedSince:
        since = [e for e in self.entries.values()
                 if e.company_id == company_id and e.number > number]
        return PostedSince(frozenset(e.source_key for e in since if e.source_key is not None),
                           any(e.reverses_entry_id is not None for e in since))

    async def active_entries_by_key(self, company_id: str,
                                    keys: Iterable[str]) -> dict[str, JournalEntry]:
        active = self.active(company_id)
        return {key: active[key] for key in keys if key in active}

    async def get_entry(self, entry_id: str, *, lock: bool = False) -> JournalEntry | None:
        return self.entries.get(entry_id)

    async def entry_lines(self, entry_ids: list[str]) -> dict[str, list[JournalLine]]:
        return {entry_id: list(self.lines.get(entry_id, [])) for entry_id in entry_ids}

    async def mark_reversed(self, entry_id: str, reversal_id: str) -> None:
        self.entries[entry_id] = replace(self.entries[entry_id],
                                         reversed_by_entry_id=reversal_id)

    async def add_entries(self, entries: list[dict[str, Any]],
                          lines: list[dict[str, Any]]) -> None:
        by_entry: dict[str, list[JournalLine]] = {}
        for line in lines:
            by_entry.setdefault(line["entry_id"], []).append(JournalLine(**line))
        for values in entries:
            entry = JournalEntry(**{"reverses_entry_id": None, "reversed_by_entry_id": None,
                                    "reversal_reason": None, **values})
            entry_lines = by_entry.get(entry.id, [])
            debit, credit = (sum(x.debit for x in entry_lines),
                             sum(x.credit for x in entry_lines))
            if debit != credit or debit != entry.total:
                raise BooksRefused(f"entry {entry.source_key} does not balance: debits "
                                   f"{debit}, credits {credit}, total {entry.total}")
            if entry.source_key in self.active(entry.company_id):
                raise BooksRefused(f"{entry.source_key} is posted already")
            self.entries[entry.id] = entry
            self.lines[entry.id] = entry_lines

    async def list_periods(self, company_id: str) -> list[Period]:
        return [p for (company, _), p in self.periods.items() if company == company_id]

    async def closed_months(self, company_id: str) -> set[str]:
        return {p.month for p in await self.list_periods(company_id)
                if p.status == PeriodStatus.CLOSED}

    async def entry_months(self, company_id: str) -> dict[str, int]:
        return dict(Counter(month_of(e.entry_date) for e in self.entries.values()
                            if e.company_id == company_id))

    async def set_period(self, company_id: str, month: str, **values: Any) -> None:
        before = self.periods.get((company_id, month),
                                  Period(company_id, month, PeriodStatus.OPEN, None, None))
        if "status" in values:
            values["status"] = PeriodStatus(values["status"])
        self.periods[(company_id, month)] = replace(before, **values)

    async def counterparty_names(self, company_id: str, ruts: Iterable[str]) -> dict[str, str]:
        return {rut: self.counterparties[(company_id, rut)] for rut in ruts
                if (company_id, rut) in self.counterparties}

    async def add_counterparties(self, company_id: str, names: dict[str, str]) -> None:
        for rut, name in names.items():
            self.counterparties.setdefault((company_id, rut), name)


class PostingState(NamedTuple):
    """A document's state as posting_state reads it, under the company's lock."""

    status: str
    hold_code: str | None


class HeldForPeriod(NamedTuple):
    id: str
    sync_id: str
    sync_kind: SyncKind
    sync_status: SyncStatus


class FakeSyncs:
    def __init__(self, journal: FakeJournal):
        self._journal = journal
        self.sessions: dict[str, SyncSession] = {}
        self.manifests: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, SyncDocument] = {}

    def of_session(self, sync_id: str) -> list[SyncDocument]:
        return sorted((d for d in self.documents.values() if d.sync_id == sync_id),
                      key=posting_cursor)

    def by_key(self, source_key: str) -> SyncDocument:
        """The one document of that key (a test's way to look one up)."""
        [document] = [d for d in self.documents.values() if d.source_key == source_key]
        return document

    async def add_sync(self, sync: SyncSession) -> None:
        self.sessions[sync.id] = sync

    async def get_sync(self, sync_id: str, *, lock: bool = False) -> SyncSession | None:
        return self.sessions.get(sync_id)

    async def update_sync(self, sync_id: str, **values: Any) -> None:
        if "manifest" in values:
            self.manifests[sync_id] = values.pop("manifest")
            values["has_manifest"] = True
        if "status" in values:
            values["status"] = SyncStatus(values["status"])
        self.sessions[sync_id] = replace(self.sessions[sync_id], **values)

    def _company_sessions(self, company_id: str, kind: SyncKind) -> list[SyncSession]:
        return sorted((s for s in self.sessions.values()
                       if s.company_id == company_id and s.kind == kind),
                      key=lambda s: s.created_at)

    async def last_sync(self, company_id: str) -> SyncSession | None:
        sessions = self._company_sessions(company_id, SyncKind.RANGE)
        return sessions[-1] if sessions else None

    async def open_live_sync(self, company_id: str, *,
                             lock: bool = False) -> SyncSession | None:
        return next((s for s in self._company_sessions(company_id, SyncKind.LIVE)
                     if s.status not in CLOSED), None)

    async def delivering_overlapping(self, company_id: str, date_from: date,
                                     date_to: date) -> SyncSession | None:
        return next((s for s in self._company_sessions(company_id, SyncKind.RANGE)
                     if s.status in DELIVERING and s.date_from is not None
                     and s.date_to is not None
                     and s.date_from <= date_to and s.date_to >= date_from), None)

    async def claim_interrupted_confirms(self, idle_since: datetime, at: datetime) -> list[str]:
        claimed = [s.id for s in self.sessions.values()
                   if s.status == SyncStatus.CONFIRMING and s.last_progress < idle_since]
        for sync_id in claimed:
            await self.update_sync(sync_id, progress_at=at)
        return claimed

    def _of_company(self, company_id: str, keys: Iterable[str],
                    holds: Callable[[SyncDocument], bool]) -> set[str]:
        keys = set(keys)
        return {d.source_key for d in self.documents.values()
                if d.company_id == company_id and d.source_key in keys and holds(d)}

    async def live_source_keys(self, company_id: str, keys: Iterable[str]) -> set[str]:
        return self._of_company(
            company_id, keys, lambda d: self.sessions[d.sync_id].kind == SyncKind.LIVE)

    async def payment_keys_held(self, company_id: str, keys: Iterable[str]) -> set[str]:
        return self._of_company(company_id, keys, lambda d: d.dte_type is None)

    async def payments_to_review(self, sync_id: str) -> list[SyncDocument]:
        return [d for d in self.of_session(sync_id) if d.dte_type is None
                and (d.status == DocumentStatus.READY or d.hold_code == AWAITING_DOCUMENT)]

    async def documents_by_id(self, ids: list[str]) -> list[SyncDocument]:
        return sorted((self.documents[i] for i in ids if i in self.documents),
                      key=posting_cursor)

    async def posting_page(self, sync_id: str, after: tuple[Any, ...] | None, limit: int, *,
                           payments: bool = False) -> list[SyncDocument]:
        rows = [d for d in self.of_session(sync_id) if (d.dte_type is None) == payments
                and (after is None or posting_cursor(d) > after)]
        return rows[:limit]

    async def posting_state(self, document_ids: list[str]) -> dict[str, PostingState]:
        return {i: PostingState(d.status, d.hold_code)
                for i in document_ids if (d := self.documents.get(i)) is not None}

    async def held_for_closed_period(self, company_id: str, first: date,
                                     last: date) -> list[HeldForPeriod]:
        return [HeldForPeriod(d.id, d.sync_id, self.sessions[d.sync_id].kind,
                              self.sessions[d.sync_id].status)
                for d in self.documents.values()
                if d.company_id == company_id and d.hold_code == CLOSED_PERIOD
                and first <= d.issue_date <= last]

    async def document_counts(self, sync_id: str) -> dict[str, int]:
        return {str(status): count for status, count in
                Counter(d.status for d in self.of_session(sync_id)).items()}

    async def stored_source_keys(self, sync_id: str, keys: Iterable[str]) -> set[str]:
        return {d.source_key for d in self.of_session(sync_id)} & set(keys)

    async def add_documents(self, rows: list[dict[str, Any]]) -> set[str]:
        stored = {(d.sync_id, d.source_key) for d in self.documents.values()}
        inserted = set()
        for row in rows:
            if (row["sync_id"], row["source_key"]) in stored:
                continue  # the unique (sync_id, source_key): stored once
            stored.add((row["sync_id"], row["source_key"]))
            self.documents[row["id"]] = SyncDocument.of(row)
            inserted.add(row["id"])
        return inserted

    async def count_received(self, sync_id: str, count: int) -> str:
        # The rule the real UPDATE asks in SQL (test_count_received.py: the two agree).
        sync = self.sessions[sync_id]
        received = sync.received + count
        await self.update_sync(sync_id, received=received, progress_at=now(),
                               status=progress(sync.status, sync.expected, received, sync.kind))
        return self.sessions[sync_id].status

    async def get_document(self, sync_id: str, document_id: str) -> SyncDocument | None:
        document = self.documents.get(document_id)
        return document if document is not None and document.sync_id == sync_id else None

    async def update_document(self, document_id: str, **values: Any) -> None:
        if "status" in values:
            values["status"] = DocumentStatus(values["status"])
        self.documents[document_id] = replace(self.documents[document_id], **values)

    async def set_documents(self, changes: list[dict[str, Any]],
                            before: dict[str, tuple[str, str]] | None = None) -> None:
        for c in changes:
            await self.update_document(c["doc_id"], status=c["new_status"],
                                       entry_id=c["new_entry_id"],
                                       hold_reason=c["new_hold_reason"],
                                       hold_code=c["new_hold_code"])

    async def flush_counts(self) -> None:
        """The counts are the documents' own here (document_counts)."""


class FakeSettings:
    def __init__(self) -> None:
        self.settings: dict[str, InvoiceSettings] = {}
        self.options: dict[str, IntegrationOptions] = {}
        self.versions: dict[str, int] = {}

    async def get_settings(self, company_id: str) -> InvoiceSettings:
        return self.settings.get(company_id, InvoiceSettings())

    async def get_options(self, company_id: str) -> IntegrationOptions:
        return self.options.get(company_id, IntegrationOptions())

    async def save_settings(self, company_id: str, settings: InvoiceSettings,
                            options: IntegrationOptions | None = None) -> None:
        self.settings[company_id] = settings
        self.options[company_id] = options or IntegrationOptions()
        self.versions[company_id] = self.versions.get(company_id, 0) + 1

    async def settings_versions(self, company_ids: Iterable[str]) -> dict[str, SettingsVersion]:
        return {company_id: SettingsVersion(self.versions.get(company_id, 0),
                                            self.options.get(company_id,
                                                             IntegrationOptions()).auto_post)
                for company_id in company_ids}


class FakeRemembered:
    def __init__(self, syncs: FakeSyncs, journal: FakeJournal, companies: FakeCompanies):
        self._syncs, self._journal, self._companies = syncs, journal, companies
        # (company, direction, RUT) → what is remembered
        self.records: dict[tuple[str, str, str], RememberedAccount] = {}
        self.reads: list[set[str]] = []  # the RUTs each for_counterparties asked for
        self.chosen_reads = 0

    async def for_counterparties(self, company_id: str, ruts: Iterable[str]
                                 ) -> dict[tuple[str, str], RememberedAccount]:
        ruts = set(ruts)
        self.reads.append(ruts)
        return {record.key: record for (company, _, rut), record in self.records.items()
                if company == company_id and rut in ruts}

    async def remember(self, company_id: str, records: list[RememberedAccount]) -> None:
        for record in records:
            self.records[(company_id, *record.key)] = record

    async def page(self, company_id: str, direction: str | None, counterparty_rut: str | None,
                   offset: int, limit: int) -> tuple[list[NamedRemembered], int]:
        chart = self._companies.charts.get(company_id, {})
        found = [NamedRemembered(r, self._journal.counterparties.get((company, rut)),
                                 chart[r.account_code].name if r.account_code in chart else None)
                 for (company, kind, rut), r in sorted(self.records.items())
                 if company == company_id and direction in (None, kind)
                 and counterparty_rut in (None, rut)]
        return found[offset:offset + limit], len(found)

    async def forget(self, company_id: str, direction: str, counterparty_rut: str) -> bool:
        return self.records.pop((company_id, direction, counterparty_rut), None) is not None

    async def chosen_documents(self, document_ids: list[str]) -> list[SyncDocument]:
        self.chosen_reads += 1
        return [self._syncs.documents[i] for i in document_ids if i in self._syncs.documents]


class FakeQueries:
    """The lists the API pages through (adapters/queries/lists.py), over the fake records."""

    def __init__(self, companies: FakeCompanies, syncs: FakeSyncs):
        self._companies = companies
        self._syncs = syncs

    async def list_companies(self, contract_rut: str) -> list[Company]:
        return sorted((c for c in self._companies.companies.values()
                       if c.contract_rut == contract_rut and c.status != CompanyStatus.DELETED),
                      key=lambda c: (c.created_at, c.id))

    async def list_syncs(self, company_id: str, kind: str | None, status: str | None,
                         *, stalled_before: datetime | None = None) -> list[SyncSession]:
        found = [s for s in self._syncs.sessions.values() if s.company_id == company_id
                 and (kind is None or s.kind == kind)]
        if status == SyncStatus.STALLED:
            found = [s for s in found if s.status in RESUMABLE and stalled_before is not None
                     and s.last_progress < stalled_before]
        elif status:
            found = [s for s in found if s.status == status]
        # Newest first, then by id (as the query orders them).
        found.sort(key=lambda s: s.id)
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    async def counts_by_sync(self, sync_ids: list[str]) -> dict[str, dict[str, int]]:
        return {sync_id: await self._syncs.document_counts(sync_id) for sync_id in sync_ids}

    async def sync_with_counts(self, sync_id: str
                               ) -> tuple[SyncSession, dict[str, int]] | None:
        session = await self._syncs.get_sync(sync_id)
        return None if session is None else (session, await self._syncs.document_counts(sync_id))

    async def list_documents(self, sync_id: str, status: str | None, offset: int,
                             limit: int) -> tuple[list[SyncDocument], int]:
        found = [d for d in self._syncs.of_session(sync_id) if status is None or d.status == status]
        return found[offset:offset + limit], len(found)


class FakeManifests:
    """A manifest that comes in pages (adapters/manifests.py)."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], InvoicingDocument] = {}
        self.dates: dict[tuple[str, str], date | None] = {}
        self.states: dict[str, ManifestState] = {}

    async def add_documents(self, sync_id: str, documents: list[dict[str, Any]]) -> int:
        new = [d for d in documents if (sync_id, d["document_key"]) not in self.documents]
        for d in new:
            self.documents[(sync_id, d["document_key"])] = InvoicingDocument(
                d["document_key"], d["total"])
            self.dates[(sync_id, d["document_key"])] = d["issue_date"]
        return len(new)

    def _state(self, sync_id: str) -> ManifestState:
        return self.states.get(sync_id, ManifestState(sync_id, None, None, None, 0))

    async def received(self, sync_id: str, count: int) -> ManifestState:
        state = self._state(sync_id)
        self.states[sync_id] = replace(state, received=state.received + count)
        return self.states[sync_id]

    async def expected(self, sync_id: str, lines: list[dict[str, Any]], document_count: int,
                       pages: int) -> ManifestState:
        self.states[sync_id] = replace(self._state(sync_id), lines=lines,
                                       document_count=document_count, pages=pages)
        return self.states[sync_id]

    async def documents_between(self, sync_id: str, first: date, last: date, *,
                                undated: bool) -> list[InvoicingDocument]:
        return [document for (sync, key), document in self.documents.items()
                if sync == sync_id and ((day := self.dates[(sync, key)]) is None and undated
                                        or day is not None and first <= day <= last)]


@dataclass
class FakeBooks:
    """What the units of work of one test share: the repositories' records, the events
    committed (the outbox) and the incoming events processed (the inbox)."""

    companies: FakeCompanies = field(default_factory=FakeCompanies)
    outbox: list[CloudEvent] = field(default_factory=list)
    inbox: set[str] = field(default_factory=set)
    journal: FakeJournal = field(init=False)
    syncs: FakeSyncs = field(init=False)
    settings: FakeSettings = field(default_factory=FakeSettings)
    remembered: FakeRemembered = field(init=False)
    manifests: FakeManifests = field(default_factory=FakeManifests)
    queries: FakeQueries = field(init=False)

    def __post_init__(self) -> None:
        self.journal = FakeJournal(self.companies)
        self.syncs = FakeSyncs(self.journal)
        self.remembered = FakeRemembered(self.syncs, self.journal, self.companies)
        self.queries = FakeQueries(self.companies, self.syncs)

    def event_types(self) -> list[str]:
        return [event.type for event in self.outbox]


class FakeUnitOfWork:
    """accounting.service_layer.unit_of_work.UnitOfWork over FakeBooks."""

    def __init__(self, books: FakeBooks | None = None):
        self.books = books or FakeBooks()
        self.companies = self.books.companies
        self.journal = self.books.journal
        self.syncs = self.books.syncs
        self.settings = self.books.settings
        self.remembered = self.books.remembered
        self.manifests = self.books.manifests
        self.queries = self.books.queries
        self.committed = False
        self._forget()

    def _forget(self) -> None:
        self._events: list[CloudEvent] = []
        self._claims: list[str] = []
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> "FakeUnitOfWork":
        self._forget()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._forget()  # what was not committed is not kept (of the events)

    def emit(self, payload: EventContract, *, subject: str | None = None,
             correlation_id: str | None = None) -> None:
        self._events.append(CloudEvent.wrap(payload, subject=subject,
                                            correlation_id=correlation_id))

    async def stage(self, events: Iterable[CloudEvent]) -> int:
        events = list(events)
        self._events.extend(events)
        return len(events)

    def staged_outside(self, count: int) -> None:
        pass

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    async def claim(self, event_id: str, event_type: str) -> bool:
        if event_id in self.books.inbox or event_id in self._claims:
            return False
        self._claims.append(event_id)
        return True

    async def processed(self, event_id: str) -> bool:
        return event_id in self.books.inbox

    async def commit(self) -> None:
        await self.syncs.flush_counts()
        self.books.outbox.extend(self._events)
        self.books.inbox.update(self._claims)
        callbacks = self._after_commit
        self._forget()
        self.committed = True
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        self._forget()


@dataclass
class FakeServices:
    """accounting.service_layer.unit_of_work.Services: a new unit of work per use case
    (per page, for confirm), all on one FakeBooks."""

    books: FakeBooks = field(default_factory=FakeBooks)
    page_size: int = 2
    stall_after: timedelta = timedelta(minutes=5)
    confirm_lease: timedelta = timedelta(seconds=30)
    opened: list[FakeUnitOfWork] = field(default_factory=list)
    owners: Owners = field(default_factory=Owners)
    moves: SyncMoves = field(default_factory=SyncMoves)

    def uow(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.books)
        self.opened.append(uow)
        return uow

    def reads(self) -> FakeUnitOfWork:
        """Services.reads: the same fake (it has no transactions to leave out)."""
        return self.uow()

    @property
    def commits(self) -> int:
        return sum(uow.committed for uow in self.opened)

    def wake_relay(self) -> None:
        pass
