"""Reading and writing the accounting tables for the use cases (SQLAlchemy Core).

LOCK ORDER. Every transaction takes its row locks in this one order: a SELECT … FOR UPDATE,
an UPDATE, and an INSERT of a key another transaction may be inserting too (an upsert, ON
CONFLICT: it waits for that transaction to end) all lock. Two transactions that took locks
in opposite orders wait for each other, and PostgreSQL breaks the circle by failing one of
them (a deadlock); in one order they can only queue. From first to last:

1. counterparties, by (company, RUT): intake records a whole batch's new ones first;
2. range sync sessions, in id order; for each, its manifest rows (documents by key, then
   the manifest's state), then its new documents (by key), then the session's row (the
   consumer's inbox claim of an event goes with its session's rows);
3. the company's live session; 4. the company's row (posting, closing or reopening a
   month, reversing, hiding or deleting the company);
5. the contract's integration requests (by request time and id), then links;
6. documents changing status or entry, and the entries posted or reversed, then the
   remembered accounts a confirm learns, by (company, direction, RUT);
7. per-status document counts, by (session, status), just before the commit.

Within one kind the keys go in order (sorted here, in add_documents, add_counterparties,
flush_counts and ManifestRepository.add_documents); the use cases keep the order across
kinds (proposals.receive, handlers.handle_events, posting, periods, entries.reverse).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.tables import (
    accounts,
    companies,
    contracts,
    counterparties,
    integration_links,
    integration_requests,
    invoice_settings,
    journal_entries,
    journal_lines,
    periods,
    sync_document_counts,
    sync_documents,
    sync_sessions,
)
from accounting.domain.accounts import Account, AccountType
from accounting.domain.payments import AWAITING_DOCUMENT
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.settings import IntegrationOptions, InvoiceSettings
from accounting.domain.syncs import (
    CLOSED,
    DELIVERING,
    PROGRESS,
    RESUMABLE,
    DocumentStatus,
    SessionFact,
    SyncKind,
    SyncStatus,
)
from shared.db import json_text, upsert
from shared.internal_api import PurchaseEntryDate

# Keys per IN (…) list: asyncpg takes at most 32,767 parameters in one statement.
IN_CHUNK = 5_000
# From how many rows PostgreSQL writes go as one bulk statement (COPY, unnest).
BULK_FROM = 50

# sync_documents' columns as add_documents writes them in bulk; (array type, is JSON).
_DOCUMENT_COLUMNS = {
    "id": ("varchar", False), "sync_id": ("varchar", False), "company_id": ("varchar", False),
    "source_key": ("varchar", False), "event_id": ("varchar", False),
    "issue_date": ("date", False), "issued_on": ("date", False), "dte_type": ("int", False),
    "folio": ("bigint", False),
    "document": ("text", True), "payment": ("text", True), "status": ("varchar", False),
    "hold_reason": ("text", False), "hold_code": ("varchar", False), "note": ("text", False),
    "entry": ("text", True), "entry_id": ("varchar", False),
    "created_at": ("timestamptz", False), "account_source": ("varchar", False),
    "account_note": ("text", False),
}
_ADD_DOCUMENTS = (
    f"INSERT INTO sync_documents ({', '.join(_DOCUMENT_COLUMNS)}) "
    "SELECT " + ", ".join(f"{name}::json" if is_json else name
                          for name, (_, is_json) in _DOCUMENT_COLUMNS.items())
    + " FROM unnest(" + ", ".join(f"${i}::{kind}[]" for i, (kind, _) in
                                  enumerate(_DOCUMENT_COLUMNS.values(), start=1))
    + f") AS v({', '.join(_DOCUMENT_COLUMNS)}) "
    "ON CONFLICT (sync_id, source_key) DO NOTHING RETURNING id"
)


def _document_columns(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[None if row[name] is None else json_text(row[name]) for row in rows] if is_json
            else [row[name] for row in rows]
            for name, (_, is_json) in _DOCUMENT_COLUMNS.items()]


def _active_entries(company_id: str) -> tuple[Any, ...]:
    """The company's entries that stand (not reversed): a key has at most one of them."""
    return (journal_entries.c.company_id == company_id,
            journal_entries.c.reversed_by_entry_id.is_(None))


# The order a session's documents are posted in (so comprobante numbers follow the
# documents' dates); payments have no tipo or folio and come first within their day. The
# index ix_sync_documents_posting_order has these very expressions.
POSTING_ORDER = (
    sync_documents.c.issue_date,
    func.coalesce(sync_documents.c.dte_type, literal_column("-1")),
    func.coalesce(sync_documents.c.folio, literal_column("-1")),
    sync_documents.c.id,
)


# A session as the use cases read it: the manifest (every document of the range) is read
# only by the reconciliation, never on a poll of the session.
SYNC_COLUMNS = (
    *(c for c in sync_sessions.c if c.name != "manifest"),
    sync_sessions.c.manifest.is_not(None).label("has_manifest"),
)


def now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Iterable[Any], size: int | None = None) -> Iterable[list[Any]]:
    items = list(items)
    size = size or IN_CHUNK
    for start in range(0, len(items), size):
        yield items[start:start + size]


def among(session: AsyncSession, column, values: Iterable[Any]) -> list[Any]:  # noqa: ANN001
    """Conditions "column is one of values", to run one query each: on PostgreSQL one
    ``= ANY(array)`` (a single parameter; an IN list of 2,000 keys cost more to render
    than to run), elsewhere IN lists of at most IN_CHUNK."""
    values = list(values)
    if session.bind.dialect.name == "postgresql" and len(values) >= BULK_FROM:
        return [column == any_(cast(literal(values), ARRAY(String)))]
    return [column.in_(chunk) for chunk in chunks(values)]


def posting_cursor(row: Any) -> tuple[Any, ...]:
    """Where the next page starts: the posting-order key of a page's last row."""
    return (row.issue_date, -1 if row.dte_type is None else row.dte_type,
            -1 if row.folio is None else row.folio, row.id)


class Repository:
    def __init__(self, session: AsyncSession):
        self.session = session
        # (sync_id, status) → change in the number of documents, applied by flush_counts.
        self._count_changes: Counter[tuple[str, str]] = Counter()

    async def _one(self, query) -> RowMapping | None:  # noqa: ANN001
        return (await self.session.execute(query)).mappings().first()

    async def _all(self, query) -> Sequence[RowMapping]:  # noqa: ANN001
        return (await self.session.execute(query)).mappings().all()

    async def _postgres(self) -> Any | None:
        """The asyncpg connection under the session's transaction (None on SQLite), for the
        bulk statements SQLAlchemy has no form for (COPY, UPDATE … FROM unnest)."""
        if self.session.bind.dialect.name != "postgresql":
            return None
        connection = await self.session.connection()
        return (await connection.get_raw_connection()).driver_connection

    def _among(self, column, values: Iterable[Any]) -> list[Any]:  # noqa: ANN001
        return among(self.session, column, values)

    def _lock(self, query):  # noqa: ANN001, ANN202
        # SQLite serialises writers anyway; PostgreSQL needs the row lock.
        if self.session.bind.dialect.name == "postgresql":
            return query.with_for_update()
        return query

    # --- contracts and companies ----------------------------------------------------

    async def add_contract(self, rut: str, name: str) -> None:
        await self.session.execute(insert(contracts).values(rut=rut, name=name, created_at=now()))

    async def get_contract(self, rut: str) -> RowMapping | None:
        return await self._one(select(contracts).where(contracts.c.rut == rut))

    async def add_company(self, company: dict[str, Any], chart: Iterable[Account]) -> None:
        await self.session.execute(insert(companies).values(**company, created_at=now()))
        await self.session.execute(
            insert(accounts),
            [_account_row(company["id"], account) for account in chart],
        )

    async def get_company(self, company_id: str, *, lock: bool = False) -> RowMapping | None:
        query = select(companies).where(companies.c.id == company_id)
        return await self._one(self._lock(query) if lock else query)

    async def list_companies(self, contract_rut: str) -> Sequence[RowMapping]:
        return await self._all(
            select(companies)
            .where(companies.c.contract_rut == contract_rut, companies.c.status != "deleted")
            .order_by(companies.c.created_at, companies.c.id)
        )

    async def active_companies_with_rut(self, contract_rut: str, rut: str) -> Sequence[RowMapping]:
        return await self._all(
            select(companies)
            .where(companies.c.contract_rut == contract_rut, companies.c.rut == rut,
                   companies.c.status == "active")
            .order_by(companies.c.created_at, companies.c.id)
        )

    async def set_company_status(self, company_id: str, status: str) -> None:
        await self.session.execute(
            update(companies).where(companies.c.id == company_id).values(status=status)
        )

    async def take_entry_numbers(self, company_id: str, count: int) -> int:
        """Reserve ``count`` consecutive comprobante numbers; returns the first."""
        last = (
            await self.session.execute(
                update(companies)
                .where(companies.c.id == company_id)
                .values(last_entry_number=companies.c.last_entry_number + count)
                .returning(companies.c.last_entry_number)
            )
        ).scalar_one()
        return last - count + 1

    # --- chart of accounts ----------------------------------------------------------

    async def list_accounts(self, company_id: str) -> list[Account]:
        rows = await self._all(
            select(accounts).where(accounts.c.company_id == company_id).order_by(accounts.c.code)
        )
        return [
            Account(r.code, r.name, AccountType(r.type), postable=r.postable,
                    auxiliary=r.auxiliary, active=r.active)
            for r in rows
        ]

    async def chart(self, company_id: str) -> dict[str, Account]:
        return {a.code: a for a in await self.list_accounts(company_id)}

    async def add_account(self, company_id: str, account: Account) -> None:
        await self.session.execute(insert(accounts).values(**_account_row(company_id, account)))

    # --- integration requests and links -------------------------------------------

    async def add_request(self, row: dict[str, Any]) -> bool:
        if await self.get_request(row["id"]) is not None:
            return False
        await self.session.execute(insert(integration_requests).values(**row))
        return True

    async def get_request(self, request_id: str, *, lock: bool = False) -> RowMapping | None:
        query = select(integration_requests).where(integration_requests.c.id == request_id)
        return await self._one(self._lock(query) if lock else query)

    async def list_requests(self, contract_rut: str, status: str | None = None,
                            *, lock: bool = False) -> Sequence[RowMapping]:
        query = (select(integration_requests)
                 .where(integration_requests.c.contract_rut == contract_rut)
                 .order_by(integration_requests.c.requested_at, integration_requests.c.id))
        if status:
            query = query.where(integration_requests.c.status == status)
        return await self._all(self._lock(query) if lock else query)

    async def latest_request(self, contract_rut: str, company_rut: str) -> RowMapping | None:
        return await self._one(
            select(integration_requests)
            .where(integration_requests.c.contract_rut == contract_rut,
                   integration_requests.c.company_rut == company_rut)
            .order_by(integration_requests.c.requested_at.desc(),
                      integration_requests.c.id.desc())
            .limit(1)
        )

    async def requests_of_company(self, company_rut: str, *,
                                  lock: bool = False) -> Sequence[RowMapping]:
        """An invoicing company's requests in every contract (to tell which is current)."""
        query = (select(integration_requests)
                 .where(integration_requests.c.company_rut == company_rut)
                 .order_by(integration_requests.c.requested_at, integration_requests.c.id))
        return await self._all(self._lock(query) if lock else query)

    async def update_request(self, request_id: str, **values: Any) -> None:
        await self.session.execute(
            update(integration_requests)
            .where(integration_requests.c.id == request_id)
            .values(**values)
        )

    async def save_link(self, company_rut: str, company_id: str, request_id: str) -> None:
        """Link an invoicing company to the accounting company keeping its books."""
        values = {"company_id": company_id, "request_id": request_id, "approved_at": now()}
        existing = await self._one(
            select(integration_links).where(integration_links.c.company_rut == company_rut)
        )
        if existing is None:
            await self.session.execute(
                insert(integration_links).values(company_rut=company_rut, **values)
            )
        else:
            await self.session.execute(
                update(integration_links)
                .where(integration_links.c.company_rut == company_rut)
                .values(**values)
            )

    async def delete_link(self, company_rut: str) -> None:
        await self.session.execute(
            delete(integration_links).where(integration_links.c.company_rut == company_rut))

    async def link_for_rut(self, company_rut: str) -> RowMapping | None:
        return await self._one(
            select(integration_links).where(integration_links.c.company_rut == company_rut)
        )

    async def link_for_company(self, company_id: str) -> RowMapping | None:
        return await self._one(
            select(integration_links)
            .where(integration_links.c.company_id == company_id)
            .order_by(integration_links.c.approved_at.desc())
            .limit(1)
        )

    # --- settings -------------------------------------------------------------------

    async def get_settings(self, company_id: str) -> InvoiceSettings:
        row = await self._one(
            select(invoice_settings).where(invoice_settings.c.company_id == company_id)
        )
        if row is None:
            return InvoiceSettings()
        return InvoiceSettings(
            sales_auxiliary=row.sales_auxiliary, sales_detail=row.sales_detail,
            purchases_auxiliary=row.purchases_auxiliary, purchases_detail=row.purchases_detail,
            payments=row.payments, collections=row.collections,
            fixed_asset=row.fixed_asset, non_recoverable_vat=row.non_recoverable_vat,
        )

    async def get_options(self, company_id: str) -> IntegrationOptions:
        row = await self._one(
            select(invoice_settings.c.auto_post, invoice_settings.c.other_tax_accounts,
                   invoice_settings.c.purchase_other_tax_accounts,
                   invoice_settings.c.issued_vat_tolerance,
                   invoice_settings.c.purchase_entry_date)
            .where(invoice_settings.c.company_id == company_id)
        )
        if row is None:
            return IntegrationOptions()
        return IntegrationOptions(
            auto_post=bool(row.auto_post), other_tax_accounts=row.other_tax_accounts or None,
            purchase_other_tax_accounts=row.purchase_other_tax_accounts or None,
            issued_vat_tolerance=row.issued_vat_tolerance,
            purchase_entry_date=PurchaseEntryDate(row.purchase_entry_date))

    async def save_settings(self, company_id: str, settings: InvoiceSettings,
                            options: IntegrationOptions | None = None) -> None:
        options = options or IntegrationOptions()
        values = {
            "auto_post": options.auto_post,
            "other_tax_accounts": options.other_tax_accounts or None,
            "purchase_other_tax_accounts": options.purchase_other_tax_accounts or None,
            "issued_vat_tolerance": options.issued_vat_tolerance,
            "purchase_entry_date": options.purchase_entry_date.value,
            "sales_auxiliary": settings.sales_auxiliary,
            "sales_detail": settings.sales_detail,
            "purchases_auxiliary": settings.purchases_auxiliary,
            "purchases_detail": settings.purchases_detail,
            "payments": settings.payments,
            "collections": settings.collections,
            "fixed_asset": settings.fixed_asset,
            "non_recoverable_vat": settings.non_recoverable_vat,
            "updated_at": now(),
        }
        exists = await self._one(
            select(invoice_settings.c.company_id).where(invoice_settings.c.company_id == company_id)
        )
        if exists is None:
            await self.session.execute(
                insert(invoice_settings).values(company_id=company_id, version=1, **values)
            )
        else:
            await self.session.execute(
                update(invoice_settings)
                .where(invoice_settings.c.company_id == company_id)
                .values(version=invoice_settings.c.version + 1, **values)
            )

    async def settings_versions(self, company_ids: Iterable[str]) -> dict[str, int]:
        """Each company's settings version (0 for a company that never saved any)."""
        company_ids = list(company_ids)
        versions = dict.fromkeys(company_ids, 0)
        if company_ids:
            rows = await self.session.execute(
                select(invoice_settings.c.company_id, invoice_settings.c.version)
                .where(invoice_settings.c.company_id.in_(company_ids)))
            versions.update((str(company_id), version) for company_id, version in rows.all())
        return versions

    # --- sync sessions and their documents -------------------------------------------

    async def add_sync(self, row: dict[str, Any]) -> None:
        await self.session.execute(insert(sync_sessions).values(**row))

    async def get_sync(self, sync_id: str, *, lock: bool = False) -> RowMapping | None:
        query = select(*SYNC_COLUMNS).where(sync_sessions.c.id == sync_id)
        return await self._one(self._lock(query) if lock else query)

    async def update_sync(self, sync_id: str, **values: Any) -> None:
        await self.session.execute(
            update(sync_sessions).where(sync_sessions.c.id == sync_id).values(**values)
        )

    async def last_sync(self, company_id: str) -> RowMapping | None:
        return await self._one(
            select(*SYNC_COLUMNS)
            .where(sync_sessions.c.company_id == company_id,
                   sync_sessions.c.kind == SyncKind.RANGE)
            .order_by(sync_sessions.c.created_at.desc())
            .limit(1)
        )

    async def open_live_sync(self, company_id: str, *, lock: bool = False) -> RowMapping | None:
        query = (select(*SYNC_COLUMNS)
                 .where(sync_sessions.c.company_id == company_id,
                        sync_sessions.c.kind == SyncKind.LIVE,
                        sync_sessions.c.status.not_in(CLOSED))
                 .order_by(sync_sessions.c.created_at).limit(1))
        return await self._one(self._lock(query) if lock else query)

    async def list_syncs(self, company_id: str, kind: str | None, status: str | None,
                         *, stalled_before: datetime | None = None) -> Sequence[RowMapping]:
        """The company's sessions, newest first; ``status`` "stalled": those open and
        without progress since ``stalled_before``."""
        query = (select(*SYNC_COLUMNS).where(sync_sessions.c.company_id == company_id)
                 .order_by(sync_sessions.c.created_at.desc(), sync_sessions.c.id))
        if kind:
            query = query.where(sync_sessions.c.kind == kind)
        if status == SyncStatus.STALLED:
            query = query.where(sync_sessions.c.status.in_(RESUMABLE),
                                _last_progress() < stalled_before)
        elif status:
            query = query.where(sync_sessions.c.status == status)
        return await self._all(query)

    async def delivering_overlapping(self, company_id: str, date_from: date,
                                     date_to: date) -> RowMapping | None:
        """A range session of the company still receiving documents of dates that overlap
        ``date_from`` to ``date_to`` (the oldest), if any."""
        return await self._one(
            select(*SYNC_COLUMNS)
            .where(sync_sessions.c.company_id == company_id,
                   sync_sessions.c.kind == SyncKind.RANGE,
                   sync_sessions.c.status.in_(DELIVERING),
                   sync_sessions.c.date_from <= date_to, sync_sessions.c.date_to >= date_from)
            .order_by(sync_sessions.c.created_at).limit(1))

    async def claim_interrupted_confirms(self, idle_since: datetime, at: datetime) -> list[str]:
        """Sessions left confirming with no page posted since ``idle_since``, marked as
        progressing ``at`` (so one replica takes each); their ids."""
        return list((await self.session.execute(
            update(sync_sessions)
            .where(sync_sessions.c.status == SyncStatus.CONFIRMING,
                   _last_progress() < idle_since)
            .values(progress_at=at).returning(sync_sessions.c.id)
        )).scalars().all())

    async def counts_by_sync(self, sync_ids: list[str]) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {sync_id: {} for sync_id in sync_ids}
        if sync_ids:
            rows = await self.session.execute(
                select(sync_documents.c.sync_id, sync_documents.c.status, func.count())
                .where(sync_documents.c.sync_id.in_(sync_ids))
                .group_by(sync_documents.c.sync_id, sync_documents.c.status)
            )
            for sync_id, status, count in rows.all():
                counts[sync_id][status] = count
        return counts

    async def manifest_sync_covering(self, company_id: str, first: date,
                                     last: date) -> RowMapping | None:
        """The latest range sync with a manifest whose range holds the whole month."""
        return await self._one(
            select(sync_sessions)
            .where(sync_sessions.c.company_id == company_id,
                   sync_sessions.c.kind == SyncKind.RANGE,
                   sync_sessions.c.manifest.is_not(None),
                   sync_sessions.c.date_from <= first, sync_sessions.c.date_to >= last)
            .order_by(sync_sessions.c.created_at.desc()).limit(1)
        )

    async def live_source_keys(self, company_id: str, keys: Iterable[str]) -> set[str]:
        """Keys any live session of the company already holds."""
        found: set[str] = set()
        for among in self._among(sync_documents.c.source_key, keys):
            rows = await self.session.execute(
                select(sync_documents.c.source_key)
                .join(sync_sessions, sync_sessions.c.id == sync_documents.c.sync_id)
                .where(sync_sessions.c.company_id == company_id,
                       sync_sessions.c.kind == SyncKind.LIVE, among)
            )
            found.update(rows.scalars().all())
        return found

    async def payment_keys_held(self, company_id: str, keys: Iterable[str]) -> set[str]:
        """Keys of payments any session of the company (range or live) already holds
        (ix_sync_documents_payment_keys: payments have no tipo DTE)."""
        found: set[str] = set()
        for among in self._among(sync_documents.c.source_key, keys):
            rows = await self.session.execute(
                select(sync_documents.c.source_key)
                .where(sync_documents.c.company_id == company_id,
                       sync_documents.c.dte_type.is_(None), among))
            found.update(rows.scalars().all())
        return found

    async def payments_to_review(self, sync_id: str) -> Sequence[RowMapping]:
        """The session's payments that are ready, or held waiting for a document."""
        return await self._all(
            select(sync_documents.c.id, sync_documents.c.payment, sync_documents.c.status,
                   sync_documents.c.hold_code)
            .where(sync_documents.c.sync_id == sync_id, sync_documents.c.dte_type.is_(None),
                   (sync_documents.c.status == DocumentStatus.READY)
                   | (sync_documents.c.hold_code == AWAITING_DOCUMENT))
        )

    async def documents_by_id(self, ids: list[str]) -> list[RowMapping]:
        rows: list[RowMapping] = []
        for among in self._among(sync_documents.c.id, ids):
            rows.extend(await self._all(select(sync_documents).where(among)))
        return sorted(rows, key=posting_cursor)

    async def posting_page(self, sync_id: str, after: tuple[Any, ...] | None,
                           limit: int, *, payments: bool = False) -> Sequence[RowMapping]:
        """The session's next ``limit`` documents (with ``payments``, its payments and
        collections, which have no tipo DTE) in posting order after ``after``, whatever
        their status (so the plan is a walk of ix_sync_documents_posting_order, however
        stale the table's statistics). Whether the books already hold them is asked under
        the company's lock, when the page is posted (posting_state)."""
        query = (
            select(sync_documents.c.id, sync_documents.c.source_key, sync_documents.c.entry,
                   sync_documents.c.status, sync_documents.c.hold_code,
                   sync_documents.c.issue_date, sync_documents.c.dte_type,
                   sync_documents.c.folio, sync_documents.c.payment,
                   sync_documents.c.account_source)
            .where(sync_documents.c.sync_id == sync_id,
                   sync_documents.c.dte_type.is_(None) if payments
                   else sync_documents.c.dte_type.is_not(None))
            .order_by(*POSTING_ORDER).limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(*POSTING_ORDER) > tuple_(
                *(literal(value, column.type) for value, column in zip(after, POSTING_ORDER,
                                                                        strict=True))))
        return await self._all(query)

    async def posting_state(self, company_id: str,
                            document_ids: list[str]) -> dict[str, RowMapping]:
        """Each document's status and hold code as they are now, and whether the books
        hold an active entry for its key (a page read ahead is checked again with this)."""
        active = exists().where(journal_entries.c.source_key == sync_documents.c.source_key,
                                *_active_entries(company_id))
        columns = (sync_documents.c.id, sync_documents.c.status, sync_documents.c.hold_code,
                   active.label("already_posted"))
        found: dict[str, RowMapping] = {}
        for among in self._among(sync_documents.c.id, document_ids):
            found.update((row.id, row) for row in await self._all(select(*columns).where(among)))
        return found

    async def held_for_closed_period(self, company_id: str, first: date,
                                     last: date) -> Sequence[RowMapping]:
        """Documents waiting only because their month was closed (confirming their session
        again posts them once they are ready)."""
        return await self._all(
            select(sync_documents, sync_sessions.c.kind.label("sync_kind"),
                   sync_sessions.c.status.label("sync_status"))
            .join(sync_sessions, sync_sessions.c.id == sync_documents.c.sync_id)
            .where(sync_documents.c.company_id == company_id,
                   sync_documents.c.hold_code == CLOSED_PERIOD,
                   sync_documents.c.issue_date >= first, sync_documents.c.issue_date <= last)
        )

    async def company_documents_between(self, company_id: str, first: date,
                                        last: date) -> Sequence[RowMapping]:
        """Every tax document the company's sessions received issued on the dates (as
        invoicing's manifest counts them, whatever day their entries take), oldest first."""
        return await self._all(
            select(sync_documents)
            .where(sync_documents.c.company_id == company_id,
                   sync_documents.c.document.is_not(None),
                   sync_documents.c.issued_on >= first, sync_documents.c.issued_on <= last)
            .order_by(sync_documents.c.created_at, sync_documents.c.id)
        )

    async def document_counts(self, sync_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(sync_document_counts.c.status, sync_document_counts.c.count)
            .where(sync_document_counts.c.sync_id == sync_id))
        return {status: count for status, count in rows.all() if count}

    async def stored_source_keys(self, sync_id: str, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for among in self._among(sync_documents.c.source_key, keys):
            rows = await self.session.execute(
                select(sync_documents.c.source_key).where(sync_documents.c.sync_id == sync_id,
                                                          among))
            found.update(rows.scalars().all())
        return found

    async def add_documents(self, rows: list[dict[str, Any]]) -> set[str]:
        """Store the documents; one a concurrent batch already stored for the session is
        skipped. The ids stored."""
        if not rows:
            return set()
        # In key order (see LOCK ORDER): a key a concurrent batch is inserting too is waited
        # for, and two batches that wait on each other's keys in opposite orders deadlock.
        rows = sorted(rows, key=lambda row: (row["sync_id"], row["source_key"]))
        if len(rows) >= BULK_FROM and (raw := await self._postgres()) is not None:
            # One statement over arrays: SQLAlchemy's multi-row VALUES spent more CPU
            # building a batch of 2,000 documents' parameters than PostgreSQL storing them.
            inserted = {row[0] for row in await raw.fetch(_ADD_DOCUMENTS,
                                                          *_document_columns(rows))}
        else:
            inserted = set((await self.session.execute(
                upsert(self.session, sync_documents)
                .on_conflict_do_nothing(index_elements=["sync_id", "source_key"])
                .returning(sync_documents.c.id),
                rows)).scalars().all())
        self._count_changes.update((row["sync_id"], row["status"]) for row in rows
                                   if row["id"] in inserted)
        return inserted

    async def count_received(self, sync_id: str, count: int) -> str:
        """Count ``count`` more documents received and move a range session on, in one
        UPDATE (concurrent batches add up without a lock held for the whole batch); the
        session's status after it: domain.syncs.PROGRESS, its facts asked in SQL."""
        received = sync_sessions.c.received + count
        status = sync_sessions.c.status
        holds = {
            SessionFact.LIVE: sync_sessions.c.kind != SyncKind.RANGE.value,
            SessionFact.CLOSED: status.in_([s.value for s in CLOSED]),
            SessionFact.ALL_RECEIVED: and_(sync_sessions.c.expected.is_not(None),
                                           received >= sync_sessions.c.expected),
            SessionFact.SOME_RECEIVED: received > 0,
        }
        new_status = case(*((holds[fact], status if then is None else literal(then.value))
                            for fact, then in PROGRESS), else_=status)
        return (await self.session.execute(
            update(sync_sessions).where(sync_sessions.c.id == sync_id)
            .values(received=received, status=new_status, progress_at=now())
            .returning(sync_sessions.c.status)
        )).scalar_one()

    async def list_documents(self, sync_id: str, status: str | None, offset: int,
                             limit: int) -> tuple[Sequence[RowMapping], int]:
        condition = sync_documents.c.sync_id == sync_id
        if status:
            condition = and_(condition, sync_documents.c.status == status)
        total = (await self.session.execute(
            select(func.count()).select_from(sync_documents).where(condition)
        )).scalar_one()
        rows = await self._all(
            select(sync_documents).where(condition)
            .order_by(sync_documents.c.issue_date, sync_documents.c.dte_type,
                      sync_documents.c.folio, sync_documents.c.id)
            .offset(offset).limit(limit)
        )
        return rows, total

    async def get_document(self, sync_id: str, document_id: str) -> RowMapping | None:
        return await self._one(
            select(sync_documents).where(sync_documents.c.sync_id == sync_id,
                                         sync_documents.c.id == document_id)
        )

    async def update_document(self, document_id: str, **values: Any) -> None:
        await self.session.execute(
            update(sync_documents).where(sync_documents.c.id == document_id).values(**values)
        )

    async def documents_in_status(self, sync_id: str, status: str) -> Sequence[RowMapping]:
        return await self._all(
            select(sync_documents)
            .where(sync_documents.c.sync_id == sync_id, sync_documents.c.status == status)
            .order_by(sync_documents.c.issue_date, sync_documents.c.dte_type,
                      sync_documents.c.folio, sync_documents.c.id)
        )

    async def set_documents(self, changes: list[dict[str, Any]],
                            before: dict[str, tuple[str, str]] | None = None) -> None:
        """Bulk update: each change is {doc_id, status, entry_id, hold_reason, hold_code}.
        ``before``: each document's (sync_id, status) if the caller read it in this
        transaction, under the company's lock (else it is read here)."""
        if not changes:
            return
        if before is None:
            before = await self._statuses([c["doc_id"] for c in changes])
        for c in changes:
            sync_id, status = before[c["doc_id"]]
            self._count_changes[(sync_id, status)] -= 1
            self._count_changes[(sync_id, c["new_status"])] += 1
        if len(changes) >= BULK_FROM and (raw := await self._postgres()) is not None:
            # One statement for the page rather than one UPDATE per document.
            await raw.execute(
                "UPDATE sync_documents AS d SET status = v.status, entry_id = v.entry_id, "
                "hold_reason = v.hold_reason, hold_code = v.hold_code "
                "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[], "
                "$5::varchar[]) AS v(id, status, entry_id, hold_reason, hold_code) "
                "WHERE d.id = v.id",
                *([c[key] for c in changes] for key in (
                    "doc_id", "new_status", "new_entry_id", "new_hold_reason",
                    "new_hold_code")))
        elif changes:
            await self.session.execute(
                update(sync_documents)
                .where(sync_documents.c.id == bindparam("doc_id"))
                .values(status=bindparam("new_status"), entry_id=bindparam("new_entry_id"),
                        hold_reason=bindparam("new_hold_reason"),
                        hold_code=bindparam("new_hold_code")),
                changes,
            )

    async def _statuses(self, document_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Each document's (sync_id, status) as it is now."""
        found: dict[str, tuple[str, str]] = {}
        for among in self._among(sync_documents.c.id, document_ids):
            rows = await self.session.execute(
                select(sync_documents.c.id, sync_documents.c.sync_id, sync_documents.c.status)
                .where(among))
            found.update((id_, (sync_id, status)) for id_, sync_id, status in rows.all())
        return found

    async def flush_counts(self) -> None:
        """Apply the transaction's changes to the per-status counts. Called just before the
        commit, so that every transaction takes these row locks last and in one order."""
        changes = sorted((key, delta) for key, delta in self._count_changes.items() if delta)
        self._count_changes.clear()
        if not changes:
            return
        insert_counts = upsert(self.session, sync_document_counts)
        await self.session.execute(
            insert_counts.on_conflict_do_update(
                index_elements=["sync_id", "status"],
                set_={"count": sync_document_counts.c.count + insert_counts.excluded.count}),
            [{"sync_id": sync_id, "status": status, "count": delta}
             for (sync_id, status), delta in changes])

    # --- books ---------------------------------------------------------------------

    async def posted_source_keys(self, company_id: str, keys: Iterable[str]) -> set[str]:
        return set(await self.active_entries_by_key(company_id, keys))

    async def active_entries_by_key(self, company_id: str,
                                    keys: Iterable[str]) -> dict[str, RowMapping]:
        found: dict[str, RowMapping] = {}
        for among in self._among(journal_entries.c.source_key, keys):
            for row in await self._all(
                select(journal_entries.c.id, journal_entries.c.number,
                       journal_entries.c.source_key)
                .where(among, *_active_entries(company_id))
            ):
                found[row.source_key] = row
        return found

    async def get_entry(self, entry_id: str, *, lock: bool = False) -> RowMapping | None:
        query = select(journal_entries).where(journal_entries.c.id == entry_id)
        return await self._one(self._lock(query) if lock else query)

    async def entry_lines(self, entry_ids: list[str]) -> dict[str, list[RowMapping]]:
        lines: dict[str, list[RowMapping]] = {entry_id: [] for entry_id in entry_ids}
        for among in self._among(journal_lines.c.entry_id, entry_ids):
            for line in await self._all(
                select(journal_lines)
                .where(among)
                .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
            ):
                lines[line.entry_id].append(line)
        return lines

    async def mark_reversed(self, entry_id: str, reversal_id: str) -> None:
        await self.session.execute(
            update(journal_entries).where(journal_entries.c.id == entry_id)
            .values(reversed_by_entry_id=reversal_id)
        )

    async def journal(self, company_id: str, date_from: date | None,
                      date_to: date | None) -> Sequence[RowMapping]:
        return await self._all(
            select(journal_entries).where(_entries_in(company_id, date_from, date_to))
            .order_by(journal_entries.c.entry_date, journal_entries.c.number)
        )

    async def postings(self, company_id: str, codes: list[str], date_from: date | None,
                       date_to: date | None) -> Sequence[RowMapping]:
        """Lines on the accounts, with their entry, in date and number order."""
        return await self._all(
            select(journal_entries.c.id.label("entry_id"), journal_entries.c.number,
                   journal_entries.c.entry_date, journal_entries.c.glosa,
                   journal_lines.c.account_code, journal_lines.c.counterparty_rut,
                   journal_lines.c.debit, journal_lines.c.credit)
            .select_from(journal_lines.join(journal_entries,
                                            journal_entries.c.id == journal_lines.c.entry_id))
            .where(_entries_in(company_id, date_from, date_to),
                   journal_lines.c.account_code.in_(codes))
            .order_by(journal_entries.c.entry_date, journal_entries.c.number,
                      journal_lines.c.line_no)
        )

    async def balance_before(self, company_id: str, codes: list[str], day: date) -> int:
        value = (await self.session.execute(
            select(func.coalesce(func.sum(journal_lines.c.debit - journal_lines.c.credit), 0))
            .select_from(journal_lines.join(journal_entries,
                                            journal_entries.c.id == journal_lines.c.entry_id))
            .where(journal_entries.c.company_id == company_id,
                   journal_entries.c.entry_date < day,
                   journal_lines.c.account_code.in_(codes))
        )).scalar_one()
        return int(value)

    # --- periods ---------------------------------------------------------------------

    async def list_periods(self, company_id: str) -> Sequence[RowMapping]:
        return await self._all(select(periods).where(periods.c.company_id == company_id))

    async def closed_months(self, company_id: str) -> set[str]:
        rows = await self.session.execute(
            select(periods.c.month).where(periods.c.company_id == company_id,
                                          periods.c.status == "closed"))
        return set(rows.scalars().all())

    async def entry_months(self, company_id: str) -> dict[str, int]:
        """How many entries each month holds (YYYY-MM → count)."""
        rows = await self.session.execute(
            select(journal_entries.c.entry_date).where(journal_entries.c.company_id == company_id)
        )
        counts: dict[str, int] = {}
        for (day,) in rows.all():
            month = f"{day.year:04d}-{day.month:02d}"
            counts[month] = counts.get(month, 0) + 1
        return counts

    async def set_period(self, company_id: str, month: str, **values: Any) -> None:
        exists = await self._one(
            select(periods.c.month).where(periods.c.company_id == company_id,
                                          periods.c.month == month))
        if exists is None:
            await self.session.execute(
                insert(periods).values(company_id=company_id, month=month, **values))
        else:
            await self.session.execute(
                update(periods).where(periods.c.company_id == company_id,
                                      periods.c.month == month).values(**values))

    # --- counterparties (auxiliares) ---------------------------------------------------

    async def counterparty_names(self, company_id: str, ruts: Iterable[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for among in self._among(counterparties.c.rut, ruts):
            rows = await self.session.execute(
                select(counterparties.c.rut, counterparties.c.name)
                .where(counterparties.c.company_id == company_id, among))
            names.update(rows.all())
        return names

    async def add_counterparties(self, company_id: str, names: dict[str, str]) -> None:
        """Each RUT once: a concurrent insert of the same RUT is not an error.

        In RUT order (see LOCK ORDER): an insert of a RUT another transaction is inserting
        waits for that one to end, so two batches of one company that insert the same new
        RUTs in their pages' orders locked them in opposite orders and deadlocked (issue 12:
        11-16 deadlocks per 20,000-document sync with two workers)."""
        if not names:
            return
        created = now()
        await self.session.execute(
            upsert(self.session, counterparties).on_conflict_do_nothing(),
            [{"company_id": company_id, "rut": rut, "name": names[rut], "created_at": created}
             for rut in sorted(names)])

    async def add_entries(self, entries: list[dict[str, Any]], lines: list[dict[str, Any]]) -> None:
        if len(entries) >= BULK_FROM and (raw := await self._postgres()) is not None:
            # A page of a confirm: COPY, several times faster than INSERTs of the same rows.
            for table, rows in ((journal_entries, entries), (journal_lines, lines)):
                columns = list(rows[0])
                await raw.copy_records_to_table(
                    table.name, columns=columns,
                    records=[tuple(row[c] for c in columns) for row in rows])
        elif entries:
            await self.session.execute(insert(journal_entries), entries)
            await self.session.execute(insert(journal_lines), lines)

    async def list_entries(self, company_id: str, date_from: date | None, date_to: date | None,
                           offset: int, limit: int) -> tuple[Sequence[RowMapping], int,
                                                             dict[str, list[RowMapping]]]:
        condition = _entries_in(company_id, date_from, date_to)
        total = (await self.session.execute(
            select(func.count()).select_from(journal_entries).where(condition)
        )).scalar_one()
        entries = await self._all(
            select(journal_entries).where(condition)
            .order_by(journal_entries.c.entry_date, journal_entries.c.number)
            .offset(offset).limit(limit)
        )
        lines: dict[str, list[RowMapping]] = {e.id: [] for e in entries}
        if entries:
            for line in await self._all(
                select(journal_lines)
                .where(journal_lines.c.entry_id.in_(list(lines)))
                .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
            ):
                lines[line.entry_id].append(line)
        return entries, total, lines


def _last_progress():  # noqa: ANN202
    return func.coalesce(sync_sessions.c.progress_at, sync_sessions.c.created_at)


def _entries_in(company_id: str, date_from: date | None, date_to: date | None):  # noqa: ANN202
    condition = journal_entries.c.company_id == company_id
    if date_from:
        condition = and_(condition, journal_entries.c.entry_date >= date_from)
    if date_to:
        condition = and_(condition, journal_entries.c.entry_date <= date_to)
    return condition


def _account_row(company_id: str, account: Account) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "code": account.code,
        "name": account.name,
        "type": str(account.type),
        "postable": account.postable,
        "auxiliary": account.auxiliary,
        "active": account.active,
    }
