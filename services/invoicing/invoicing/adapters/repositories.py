"""Reading and writing the domain's objects on the caller's session (its transaction)."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

import asyncpg
import orjson
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.adapters.tables import (
    companies,
    documents,
    integration_links,
    outbox,
    payments,
)
from invoicing.domain.companies import Company
from invoicing.domain.documents import (
    Counterparty,
    Direction,
    Document,
    DocumentDraft,
    DocumentStatus,
    ForeignCurrency,
    OtherTax,
    Reference,
    VatBreakdown,
    issuer_of,
)
from invoicing.domain.integration import Connection, IntegrationLink, LinkStatus
from invoicing.domain.payments import Payment, PaymentKind
from shared.bulk import postgres_connection
from shared.db import asyncpg_connection, json_text, upsert
from shared.events import CloudEvent


def _now() -> datetime:
    return datetime.now(UTC)


class CompanyRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def get(self, rut: str, *, for_update: bool = False) -> Company | None:
        query = select(companies.c.rut, companies.c.name).where(companies.c.rut == rut)
        if for_update:
            # Serialises changes to one company's integration link, even its first one.
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return Company(row.rut, row.name) if row else None

    async def add(self, company: Company) -> None:
        await self._session.execute(
            insert(companies).values(rut=company.rut, name=company.name, created_at=_now())
        )


def _reference_json(ref: Reference) -> dict:
    return {
        "dte_type": ref.dte_type,
        "folio": ref.folio,
        "issue_date": ref.issue_date.isoformat() if ref.issue_date else None,
        "code": ref.code,
        "reason": ref.reason,
    }


def _reference(data: dict) -> Reference:
    issued = data.get("issue_date")
    return Reference(
        dte_type=data["dte_type"],
        folio=data["folio"],
        issue_date=date.fromisoformat(issued) if issued else None,
        code=data.get("code"),
        reason=data.get("reason"),
    )


def _tax_json(tax: OtherTax) -> dict:
    return {"code": tax.code, "rate": tax.rate, "amount": tax.amount}


def _tax(data: dict) -> OtherTax:
    return OtherTax(code=data["code"], amount=data["amount"], rate=data.get("rate"))


def _foreign_json(foreign: ForeignCurrency | None) -> dict | None:
    if foreign is None:
        return None
    rate = foreign.exchange_rate
    return {"currency": foreign.currency, "total": str(foreign.total),
            "exchange_rate": None if rate is None else str(rate)}


def _foreign(data: dict | None) -> ForeignCurrency | None:
    if not data:
        return None
    rate = data.get("exchange_rate")
    return ForeignCurrency(currency=data["currency"], total=Decimal(data["total"]),
                           exchange_rate=None if rate is None else Decimal(rate))


_DIRECTIONS = {str(d): d for d in Direction}
_STATUSES = {str(s): s for s in DocumentStatus}


def _document(row: Row) -> Document:
    # By key on the row's mapping, the enums from dicts, positional: a sync's export reads
    # every document of the range through here, and attribute access on a Row and the
    # enums' constructors were most of its 17 µs a document.
    m = row._mapping
    references, taxes, breakdown = m["doc_references"], m["other_taxes"], m["vat_breakdown"]
    return Document(
        m["id"], m["company_rut"], m["issuer_rut"], _DIRECTIONS[m["direction"]],
        m["dte_type"], m["folio"], m["issue_date"],
        Counterparty(m["counterparty_rut"], m["counterparty_name"]),
        m["net"], m["exempt"], m["vat"], m["total"],
        references=tuple(map(_reference, references)) if references else (),
        other_taxes=tuple(map(_tax, taxes)) if taxes else (),
        vat_retained=m["vat_retained"] or 0,
        foreign_currency=_foreign(m["foreign_currency"]),
        received_on=m["received_on"],
        vat_breakdown=VatBreakdown(**breakdown) if breakdown else None,
        construction_credit=m["construction_credit"] or 0,
        container_deposit=m["container_deposit"] or 0,
        status=_STATUSES[m["status"]] if m["status"] else DocumentStatus.RECORDED,
    )


def _in_range(company_rut: str, date_from: date | None, date_to: date | None):
    conditions = [documents.c.company_rut == company_rut]
    if date_from is not None:
        conditions.append(documents.c.issue_date >= date_from)
    if date_to is not None:
        conditions.append(documents.c.issue_date <= date_to)
    return conditions


def _row(document: Document) -> dict:
    return {**_values(document), "id": document.id, "company_rut": document.company_rut,
            "issuer_rut": document.issuer_rut, "created_at": _now()}


def _breakdown_json(breakdown: VatBreakdown | None) -> dict | None:
    """Only the columns that say something (_document reads the rest as their defaults):
    a purchase's breakdown is mostly zeros, and written whole it was half of each
    imported row, in the table and in the WAL. vars, not asdict: VatBreakdown is flat,
    and this runs for every imported row."""
    if breakdown is None:
        return None
    said = {name: value for name, value in vars(breakdown).items()
            if value != _BREAKDOWN_DEFAULTS[name]}
    return said or vars(breakdown)  # {} would read back as no breakdown at all


_BREAKDOWN_DEFAULTS = {f.name: f.default for f in fields(VatBreakdown)}


def _values(document: Document | DocumentDraft) -> dict:
    """What a document and the draft it comes from have alike."""
    return {
        "direction": str(document.direction),
        "dte_type": document.dte_type,
        "folio": document.folio,
        "issue_date": document.issue_date,
        "counterparty_rut": document.counterparty.rut,
        "counterparty_name": document.counterparty.name,
        "net": document.net,
        "exempt": document.exempt,
        "vat": document.vat,
        "total": document.total,
        "doc_references": [_reference_json(r) for r in document.references],
        "other_taxes": [_tax_json(t) for t in document.other_taxes],
        "vat_retained": document.vat_retained,
        "foreign_currency": _foreign_json(document.foreign_currency),
        "received_on": document.received_on,
        "vat_breakdown": _breakdown_json(document.vat_breakdown),
        "construction_credit": document.construction_credit,
        "container_deposit": document.container_deposit,
        "status": str(document.status),
    }


# A bulk import writes the table's own columns, in its order, and tells a duplicate by
# the unique folio constraint's columns: both read from the table, so a column added
# there is imported too.
IMPORT_COLUMNS = tuple(c.name for c in documents.columns)
FOLIO_KEY = next(tuple(c.name for c in constraint.columns) for constraint in documents.constraints
                 if isinstance(constraint, UniqueConstraint)
                 and constraint.name == "uq_documents_folio")
_JSON_COLUMNS = frozenset(c.name for c in documents.columns if isinstance(c.type, JSON))
_AMOUNTS = ("total", "net", "exempt", "vat")


def import_row(document_id: str, company_rut: str, draft: DocumentDraft) -> tuple:
    """The document a valid draft becomes (documents.new_document) as a bulk import stages
    it, without making a Document of each row first (an 18-field frozen dataclass): the
    table's columns in order, JSON ones as the text the JSON type would store (None too,
    as 'null'); created_at is set by the insert."""
    values = _values(draft)
    values.update(id=document_id, company_rut=company_rut, created_at=None,
                  issuer_rut=issuer_of(company_rut, draft))
    row = list(_IMPORT_ORDER(values))
    for i in _JSON_AT:
        row[i] = _json_column(row[i])
    return tuple(row)


# Resolved once: a row is built by position, not by a lookup of each column's name.
_IMPORT_ORDER = itemgetter(*IMPORT_COLUMNS)
_JSON_AT = tuple(i for i, name in enumerate(IMPORT_COLUMNS) if name in _JSON_COLUMNS)


def _json_column(value: object) -> str:
    # Most imported rows have no references, taxes or currency: their text is known.
    if value is None:
        return "null"
    if value == []:
        return "[]"
    return json_text(value)


def _staging_table() -> Table:
    """Where one batch of an import is loaded before it goes into documents: the same
    columns without their constraints, plus the row's place in the batch."""
    return Table(
        "import_documents", MetaData(),
        *(Column(c.name, c.type) for c in documents.columns),
        Column("position", Integer, nullable=False),
        prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
    )


@dataclass(frozen=True)
class ImportedBatch:
    """What became of a staged batch: the ids inserted, and the recorded document of each
    row that was not (all of them, or only those whose amounts differ or that are pending
    acceptance)."""

    created: set[str]
    recorded: dict[str, "RecordedAmounts"]


class RecordedAmounts(NamedTuple):  # a tuple: a re-import makes one per row
    id: str
    net: int
    exempt: int
    vat: int
    total: int
    pending_acceptance: bool = False


def _recorded(row: Any) -> RecordedAmounts:
    """From a row of (issuer_rut, dte_type, folio, id, status, total, net, exempt, vat)."""
    return RecordedAmounts(row[3], row[6], row[7], row[8], row[5], row[4] == _PENDING)


_PENDING = str(DocumentStatus.PENDING_ACCEPTANCE)


_RECORDED_BY_KEY = """
SELECT d.issuer_rut, d.dte_type, d.folio, d.id, d.status, d.total, d.net, d.exempt, d.vat
FROM unnest($3::varchar[], $4::integer[], $5::bigint[]) AS k(issuer_rut, dte_type, folio)
CROSS JOIN LATERAL (
    SELECT * FROM documents
    WHERE company_rut = $1 AND direction = $2 AND issuer_rut = k.issuer_rut
      AND dte_type = k.dte_type AND folio = k.folio
    LIMIT 1
) AS d
"""
# Three bound parameters a key: far below SQLite's 32,766.
_KEYS_PER_QUERY = 5000


# What a sync exports: a document pending acceptance is not a purchase of the books yet.
_EXPORTED = documents.c.status != str(DocumentStatus.PENDING_ACCEPTANCE)


_ORDER = (documents.c.issue_date, documents.c.folio, documents.c.id)
# Bound parameters per IN list: far below asyncpg's 32,767 and SQLite's 32,766 whatever
# IMPORT_BATCH_SIZE is.
_IDS_PER_QUERY = 5000


def _recording_staging_live():
    """PostgreSQL: one statement inserts the document and, when its company's link flows
    live, stages its event in the outbox. Built once with bound parameters, so each
    request costs neither statement building nor compiling (SQLAlchemy's cache)."""
    recorded = (insert(documents)
                .values({name: bindparam(name) for name in _row_columns()})
                .returning(documents.c.company_rut).cte("recorded"))
    link = integration_links.c
    event = (bindparam("event_id", type_=String), bindparam("event_type", type_=String),
             bindparam("correlation_id", type_=String), bindparam("body", type_=Text),
             bindparam("staged_at", type_=DateTime(timezone=True)))
    # IntegrationLink.flows_live in SQL: a connection in force that has had its first sync.
    staged = (select(*event)
              .select_from(recorded.join(integration_links,
                                         link.company_rut == recorded.c.company_rut))
              .where(link.connected_request_id.is_not(None),
                     link.first_synced_at.is_not(None)))
    return (insert(outbox)
            .from_select(["event_id", "event_type", "correlation_id", "body", "created_at"],
                         staged)
            .add_cte(recorded)
            .returning(literal_column("1")))


def _row_columns() -> list[str]:
    return [column.name for column in documents.c]


_RECORD_STAGING_LIVE = _recording_staging_live()


@cache
def _compiled_recording(dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """_RECORD_STAGING_LIVE's SQL for asyncpg ($1, $2, …) and its parameters in order."""
    compiled = _RECORD_STAGING_LIVE.compile(dialect=dialect)
    return compiled.string, tuple(compiled.positiontup or ())


class DocumentRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    @property
    def stages_live_in_one_statement(self) -> bool:
        """Whether add_staging_live is available (PostgreSQL; SQLite has no INSERT in
        a WITH clause)."""
        return self._session.get_bind().dialect.name == "postgresql"

    async def add(self, document: Document) -> None:
        await self._session.execute(insert(documents).values(**_row(document)))

    async def add_staging_live(self, document: Document, event: CloudEvent) -> int:
        """Insert the document and, if its company's link flows live, stage ``event`` in
        the outbox: one statement, one round trip, the events staged (0 or 1).

        Called first in a unit of work, the statement commits by itself (it is atomic
        alone, and BEGIN and COMMIT were two more round trips on the live path); later in
        one, it joins the open transaction. A refused insert (unknown company, folio
        already recorded) stages nothing: it raises IntegrityError as ``add`` does."""
        params = _row(document)
        params.update(event_id=event.id, event_type=event.type,
                      correlation_id=event.correlationid, body=event.model_dump_json(),
                      staged_at=params["created_at"])
        if self._session.in_transaction():
            return len((await self._session.execute(_RECORD_STAGING_LIVE, params)).all())
        connection = await self._session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT"})
        # Alone, over asyncpg itself: SQLAlchemy's execution (cache key, 28 parameters
        # processed, the result wrapped) cost more CPU than the round trip. The JSON
        # columns go as SQLAlchemy would send them (the engine's serializer, None as null).
        raw = await asyncpg_connection(connection)
        sql, names = _compiled_recording(connection.dialect)
        try:
            rows = await raw.fetch(sql, *[json_text(params[name]) if name in _JSON_COLUMNS
                                          else params[name] for name in names])
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(sql, None, error) from error
        return len(rows)

    async def add_imported(self, rows: Sequence[tuple], *, all_recorded: bool = False
                           ) -> ImportedBatch:
        """Insert the import_row()s whose folio is not recorded yet, first in the batch
        first; then find the recorded document of every other row (all_recorded), or only
        of those whose amounts differ (conflicts) or that are pending acceptance.

        The batch is loaded into a temporary table (COPY on PostgreSQL) and moved by one
        INSERT … SELECT: the unique folio constraint decides, so concurrent imports of the
        same file cannot duplicate anything either, and no row is an object of its own.
        """
        if not rows:
            return ImportedBatch(set(), {})
        staging = _staging_table()
        connection = await self._session.connection()
        raw = await postgres_connection(self._session)
        postgres = raw is not None
        if not postgres:  # SQLite runs DDL outside the transaction: a failed batch's stays
            await connection.run_sync(staging.drop, checkfirst=True)
        await connection.run_sync(staging.create)
        names = [c.name for c in staging.columns]
        if raw is not None:
            await raw.copy_records_to_table(
                staging.name, columns=names,
                records=[(*row, position) for position, row in enumerate(rows)])
        else:  # the embedded default: a plain insert, its JSON columns as values again
            json_at = [i for i, name in enumerate(names) if name in _JSON_COLUMNS]
            staged = []
            for position, row in enumerate(rows):
                values = dict(zip(names, (*row, position), strict=True))
                for i in json_at:
                    values[names[i]] = orjson.loads(row[i])
                staged.append(values)
            await connection.execute(insert(staging), staged)
        now = literal(_now(), documents.c.created_at.type)
        source = (select(*(now if name == "created_at" else staging.c[name]
                           for name in IMPORT_COLUMNS))
                  .where(text("true"))  # SQLite's upsert grammar needs a WHERE to parse
                  .order_by(staging.c.position))
        created = set((await connection.execute(
            upsert(self._session, documents).from_select(IMPORT_COLUMNS, source)
            .on_conflict_do_nothing().returning(documents.c.id))).scalars())
        recorded: dict[str, RecordedAmounts] = {}
        if len(created) < len(rows):
            same_folio = and_(*(documents.c[name] == staging.c[name] for name in FOLIO_KEY),
                              documents.c.id != staging.c.id)
            found: Any = documents
            if postgres:
                # One probe of the unique folio index per staged row. A plain join lets the
                # planner hash every recorded document for each batch (the temporary table
                # has no statistics): a re-import's cost grew with the table, per batch.
                found = (select(documents.c.id, documents.c.status,
                                *(documents.c[a] for a in _AMOUNTS))
                         .where(same_folio).limit(1).lateral("recorded"))
                same_folio = true()
            pending = found.c.status == str(DocumentStatus.PENDING_ACCEPTANCE)
            query = (select(staging.c.id.label("staged_id"), found.c.id,
                            *(found.c[a] for a in _AMOUNTS), pending.label("pending"))
                     .select_from(staging).join(found, same_folio))
            if not all_recorded:
                query = query.where(or_(pending, *(found.c[a] != staging.c[a]
                                                   for a in _AMOUNTS)))
            recorded = {r.staged_id: RecordedAmounts(r.id, r.net, r.exempt, r.vat, r.total,
                                                     bool(r.pending))
                        for r in await connection.execute(query)}
        await connection.run_sync(staging.drop)
        return ImportedBatch(created, recorded)

    async def directions_recorded(self, company_rut: str) -> frozenset[Direction]:
        """The directions the company has any document in: one probe of the folio index
        each (its leading columns)."""
        d = documents.c
        row = (await self._session.execute(select(*(
            exists().where(d.company_rut == company_rut, d.direction == str(direction))
            for direction in Direction)))).one()
        return frozenset(direction for direction, found in zip(Direction, row, strict=True)
                         if found)

    async def recorded_by_key(self, company_rut: str, direction: Direction,
                              keys: Sequence[tuple[str, int, int]]
                              ) -> list["RecordedAmounts | None"]:
        """The recorded document of each (issuer RUT, tipo, folio) of the company in that
        direction, or None, in the order of keys: one query for a batch of an import."""
        if not keys:
            return []
        connection = await self._session.connection()
        found: dict[tuple, RecordedAmounts] = {}
        if (raw := await postgres_connection(self._session)) is not None:
            # One probe of the unique folio index per key, as add_imported's.
            rows = await raw.fetch(_RECORDED_BY_KEY, company_rut, str(direction),
                                   *(list(column) for column in zip(*keys, strict=True)))
            found = {(r[0], r[1], r[2]): _recorded(r) for r in rows}
        else:
            d = documents.c
            for start in range(0, len(keys), _KEYS_PER_QUERY):
                query = select(d.issuer_rut, d.dte_type, d.folio, d.id, d.status, d.total,
                               d.net, d.exempt, d.vat).where(
                    d.company_rut == company_rut, d.direction == str(direction),
                    tuple_(d.issuer_rut, d.dte_type, d.folio).in_(
                        keys[start:start + _KEYS_PER_QUERY]))
                found.update(((r[0], r[1], r[2]), _recorded(r))
                             for r in await connection.execute(query))
        return [found.get(key) for key in keys]

    async def by_ids(self, ids: Sequence[str]) -> list[Document]:
        """These documents, in the order of ids."""
        rows: dict[str, Row] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            rows.update((r.id, r) for r in await self._session.execute(
                select(documents).where(documents.c.id.in_(ids[start:start + _IDS_PER_QUERY]))))
        return [_document(rows[i]) for i in ids]

    async def accept_pending(self, accepted: Sequence[tuple[str, tuple]]) -> list[Document]:
        """The registro lists these pending documents: each (recorded id, the registro's
        import_row) becomes a recorded purchase with the registro's amounts, keeping its id.
        Only rows still pending change (a concurrent import may have accepted one): the
        documents actually accepted, as now recorded."""
        done = []
        for recorded_id, staged in accepted:
            values = {name: orjson.loads(value) if name in _JSON_COLUMNS else value
                      for name, value in zip(IMPORT_COLUMNS, staged, strict=True)
                      if name not in ("id", "created_at")}
            row = (await self._session.execute(
                update(documents).where(
                    documents.c.id == recorded_id,
                    documents.c.status == str(DocumentStatus.PENDING_ACCEPTANCE))
                .values(**values).returning(*documents.c)
            )).first()
            if row is not None:
                done.append(_document(row))
        return done

    async def find_by_folio(self, company_rut: str, direction: Direction, issuer_rut: str,
                            dte_type: int, folio: int) -> str | None:
        """The id of the document holding that folio, if any."""
        return (await self._session.execute(
            select(documents.c.id).where(
                documents.c.company_rut == company_rut,
                documents.c.direction == str(direction),
                documents.c.issuer_rut == issuer_rut,
                documents.c.dte_type == dte_type,
                documents.c.folio == folio,
            )
        )).scalar_one_or_none()

    async def count(self, company_rut: str, date_from: date | None, date_to: date | None) -> int:
        return (await self._session.execute(
            select(func.count()).select_from(documents)
            .where(*_in_range(company_rut, date_from, date_to))
        )).scalar_one()

    async def page(self, company_rut: str, date_from: date | None, date_to: date | None,
                   offset: int, limit: int) -> list[Document]:
        rows = (await self._session.execute(
            select(documents).where(*_in_range(company_rut, date_from, date_to))
            .order_by(*_ORDER).offset(offset).limit(limit)
        )).all()
        return [_document(r) for r in rows]

    async def page_after(self, company_rut: str, date_from: date, date_to: date,
                         after: Sequence | None, limit: int) -> list[Document]:
        """Keyset page: the next ``limit`` documents after the (issue_date, folio, id) key,
        of those a sync exports (not the ones pending acceptance)."""
        query = select(documents).where(*_in_range(company_rut, date_from, date_to), _EXPORTED)
        if after is not None:
            query = query.where(tuple_(*_ORDER) > tuple_(*after))
        rows = (await self._session.execute(query.order_by(*_ORDER).limit(limit))).all()
        return [_document(r) for r in rows]


class IntegrationLinkRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def get(self, company_rut: str, *, for_update: bool = False) -> IntegrationLink | None:
        query = select(integration_links).where(integration_links.c.company_rut == company_rut)
        if for_update:
            # Serialises accounting's answer against a re-request from the company.
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        connection = None
        if row.connected_request_id is not None:
            connection = Connection(
                request_id=row.connected_request_id,
                contract_rut=row.connected_contract_rut,
                accounting_company_id=row.connected_accounting_company_id,
                synced=row.first_synced_at is not None,
            )
        return IntegrationLink(
            company_rut=row.company_rut,
            contract_rut=row.contract_rut,
            status=LinkStatus(row.status),
            request_id=row.request_id,
            detail=row.detail,
            accounting_company_id=row.accounting_company_id,
            connection=connection,
            requested_at=row.requested_at,
        )

    def _values(self, link: IntegrationLink) -> dict:
        connection = link.connection
        values = {
            "contract_rut": link.contract_rut,
            "status": str(link.status),
            "request_id": link.request_id,
            "detail": link.detail,
            "accounting_company_id": link.accounting_company_id,
            "requested_at": link.requested_at,
            "connected_request_id": connection.request_id if connection else None,
            "connected_contract_rut": connection.contract_rut if connection else None,
            "connected_accounting_company_id": (connection.accounting_company_id
                                                if connection else None),
            "updated_at": _now(),
        }
        if not link.synced:  # a new connection starts over: no live flow until its first sync
            values["first_synced_at"] = None
        return values

    async def mark_synced(self, company_rut: str) -> None:
        await self._session.execute(
            update(integration_links)
            .where(integration_links.c.company_rut == company_rut,
                   integration_links.c.first_synced_at.is_(None))
            .values(first_synced_at=_now())
        )

    async def add(self, link: IntegrationLink) -> None:
        await self._session.execute(
            insert(integration_links).values(company_rut=link.company_rut, **self._values(link))
        )

    async def update(self, link: IntegrationLink) -> None:
        await self._session.execute(
            update(integration_links)
            .where(integration_links.c.company_rut == link.company_rut)
            .values(**self._values(link))
        )


class PaymentRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def add(self, payment: Payment) -> None:
        await self._session.execute(insert(payments).values(
            id=payment.id, company_rut=payment.company_rut, kind=str(payment.kind),
            counterparty_rut=payment.counterparty.rut, counterparty_name=payment.counterparty.name,
            amount=payment.amount, paid_on=payment.paid_on,
            documents=[_reference_json(r) for r in payment.documents], created_at=_now(),
        ))

    async def page(self, company_rut: str, offset: int, limit: int) -> tuple[list[Payment], int]:
        where = payments.c.company_rut == company_rut
        total = (await self._session.execute(
            select(func.count()).select_from(payments).where(where))).scalar_one()
        rows = (await self._session.execute(
            select(payments).where(where).order_by(*_PAYMENT_ORDER)
            .offset(offset).limit(limit))).all()
        return [_payment(r) for r in rows], total

    async def page_after(self, company_rut: str, date_from: date, date_to: date,
                         after: Sequence | None, limit: int) -> list[Payment]:
        """Keyset page: the next ``limit`` payments paid in the range after the (paid_on,
        id) key."""
        query = select(payments).where(payments.c.company_rut == company_rut,
                                       payments.c.paid_on >= date_from,
                                       payments.c.paid_on <= date_to)
        if after is not None:
            query = query.where(tuple_(*_PAYMENT_ORDER) > tuple_(*after))
        rows = (await self._session.execute(query.order_by(*_PAYMENT_ORDER).limit(limit))).all()
        return [_payment(r) for r in rows]


_PAYMENT_ORDER = (payments.c.paid_on, payments.c.id)


def _payment(row: Row[Any]) -> Payment:
    return Payment(id=row.id, company_rut=row.company_rut, kind=PaymentKind(row.kind),
                   counterparty=Counterparty(row.counterparty_rut, row.counterparty_name),
                   amount=row.amount, paid_on=row.paid_on,
                   documents=tuple(_reference(d) for d in row.documents))
