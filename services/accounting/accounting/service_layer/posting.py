"""Posting a session's documents as comprobantes: the one place entries are written.

Used by confirm, by auto-post of live documents and payments, and when a reopened period
releases what waited for it. The books never take an entry that does not balance, names
an account that cannot be posted, falls in a closed month, or is already posted.

Confirm posts in pages (``read_page``, then ``post_page``), each its own transaction and
one EntriesPosted event; a single posting (``post_documents``) emits an EntryPosted per
entry.
"""

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from accounting.domain.accounts import Account
from accounting.domain.classification import (
    Context,
    Document,
    Entry,
    Stage,
    StoredLine,
    classify,
)
from accounting.domain.payments import AWAITING_DOCUMENT, SyncPayment
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.syncs import (
    DocumentStatus,
    PostingDocument,
    PostingState,
    SyncKind,
    SyncSession,
)
from accounting.service_layer import remembered
from accounting.service_layer.unit_of_work import UnitOfWork
from shared.events import EntriesPosted, EntryPosted, PostedEntry
from shared.ids import new_ids
from shared.observability.metrics import DOCUMENTS_POSTED


def change(document_id: str, status: DocumentStatus, *, entry_id: str | None = None,
           hold_reason: str | None = None, hold_code: str | None = None) -> dict[str, Any]:
    return {"doc_id": document_id, "new_status": status.value, "new_entry_id": entry_id,
            "new_hold_reason": hold_reason, "new_hold_code": hold_code}


@dataclass
class Prepared:
    """A stored entry made ready to write: its new id, date, total and line rows. Made
    outside the transaction that posts it (confirm prepares the next page while the
    database writes the current one), so that transaction only decides and writes."""

    entry: Mapping[str, Any]
    entry_id: str
    day: date
    total: int
    lines: list[dict[str, Any]]
    checked: Entry  # what the rules look at


def prepare(entries: Sequence[Mapping[str, Any]]) -> list[Prepared]:
    prepared = []
    for entry, entry_id in zip(entries, new_ids(len(entries)), strict=True):
        # Stored as JSON, at intake: the date is ISO text.
        day, lines = date.fromisoformat(entry["entry_date"]), entry["lines"]
        prepared.append(Prepared(
            entry, entry_id, day, sum(line["debit"] for line in lines),
            line_rows(entry_id, lines), Entry(day, [StoredLine(
                line["account_code"], line["role"], line["debit"], line["credit"])
                for line in lines])))
    return prepared


@dataclass(frozen=True)
class Books:
    """What posting checks entries against: of the keys asked, those the books hold an
    active entry for; the closed months; the chart."""

    posted: Collection[str]
    closed_months: Collection[str]
    chart: dict[str, Account]


async def read_books(uow: UnitOfWork, company_id: str, keys: Iterable[str]) -> Books:
    return Books(await uow.journal.posted_source_keys(company_id, keys),
                 await uow.journal.closed_months(company_id),
                 await uow.companies.chart(company_id))


async def lock_books(uow: UnitOfWork, company_id: str, keys: Iterable[str], *,
                     locked: bool = False) -> Books:
    """The company's lock (``locked``: this transaction holds it already), then the books
    read under it: they hold until the transaction ends, whatever it posts. Whatever
    posts, reverses, or closes or reopens a month takes that lock first (so no entry of
    these keys is posted or freed meanwhile, and no month changes), and a chart only
    grows (accounts are added, never changed or removed): an entry ready against it
    stays ready."""
    if not locked:
        await uow.companies.get_company(company_id, lock=True)
    return await read_books(uow, company_id, keys)


async def post_documents(uow: UnitOfWork, sync: SyncSession,
                         documents: Sequence[PostingDocument], books: Books | None = None,
                         statuses: dict[str, tuple[str, str]] | None = None) -> int:
    """Post the documents (each with a proposed entry); returns how many were posted.
    ``books``: from ``lock_books`` in this transaction, for (at least) their keys; else
    read here, the same way. ``statuses``: the documents' (sync_id, status) as this
    transaction knows them (it inserted them: no other can change them); else read."""
    with_entry = [(d, d.entry) for d in documents if d.entry is not None]
    if not with_entry:
        return 0
    company_id = sync.company_id
    if books is None:
        books = await lock_books(uow, company_id, [d.source_key for d, _ in with_entry])
    entries = await _post(uow, sync, list(zip(
        [d for d, _ in with_entry], prepare([entry for _, entry in with_entry]), strict=True)),
        books, statuses=statuses)
    for entry in entries:
        uow.emit(EntryPosted(entry_id=entry["id"], accounting_company_id=company_id,
                             company_rut=sync.company_rut, number=entry["number"],
                             entry_date=entry["entry_date"], kind=entry["kind"],
                             source_key=entry["source_key"], total=entry["total"]),
                 subject=entry["id"], correlation_id=sync.id)
    return len(entries)


@dataclass
class Page:
    """A page of a session's documents in posting order, read (and its entries prepared)
    ahead of the transaction that posts it."""

    documents: Sequence[PostingDocument]
    prepared: dict[str, Prepared]  # by document id, for those with an entry
    after: tuple[Any, ...]  # where the following page starts
    # The keys of those the books held when the page was read, and the company's last
    # comprobante number before that: whatever was posted later numbers above it.
    posted: set[str]
    through: int


async def read_page(uow: UnitOfWork, sync: SyncSession, after: tuple[Any, ...] | None,
                    limit: int, *, payments: bool = False) -> Page | None:
    """The session's next page of documents (or of payments) after ``after`` (None when
    there is none). Read without the company's lock: ``post_page`` checks again, under it,
    what may have changed."""
    rows = await uow.syncs.posting_page(sync.id, after, limit, payments=payments)
    if not rows:
        return None
    with_entry = [r for r in rows if r.entry is not None]
    last = rows[-1]
    # The number first: an entry numbered up to it was committed with it, so the keys
    # read after it see every such entry.
    company = await uow.companies.get_company(sync.company_id)
    assert company is not None  # a session's company is never deleted (only softly)
    through = company.last_entry_number
    posted = await uow.journal.posted_source_keys(sync.company_id,
                                                  [r.source_key for r in with_entry])
    return Page(rows, dict(zip((r.id for r in with_entry),
                               prepare([r.entry for r in with_entry]), strict=True)),
                (last.issue_date, -1 if last.dte_type is None else last.dte_type,
                 -1 if last.folio is None else last.folio, last.id), posted, through)


async def post_page(uow: UnitOfWork, sync: SyncSession, page: Page) -> int:
    """Post what of the page is postable now; how many were posted. The caller commits.

    What a page leaves behind stays ready (or held), so a later confirm picks it up; what
    it posted is no longer ready, and the partial unique index on active entries refuses a
    second posting of a key whatever happens."""
    company_id = sync.company_id
    await uow.companies.get_company(company_id, lock=True)
    # As they are now, under the lock: another confirm of the session may have posted
    # some, or another session the same documents, since the page was read.
    now = await uow.syncs.posting_state(list(page.prepared))
    statuses = {id_: (sync.id, state.status) for id_, state in now.items()}
    postable = [d for d in page.documents if d.id in page.prepared and _postable(now[d.id])]
    posted = await _posted_now(uow, company_id, page, {d.source_key for d in postable})
    # The chart may have changed since the page's proposals were checked at intake.
    books = Books(posted, await uow.journal.closed_months(company_id),
                  await uow.companies.chart(company_id))
    entries = await _post(uow, sync, [(d, page.prepared[d.id]) for d in postable], books,
                          settled=await _settled(uow, sync, postable), statuses=statuses)
    if entries:
        # Validated, not model_construct'ed: pydantic's validation of an entry's six
        # fields (~1.7 µs) costs less than its model_construct, which runs in Python.
        uow.emit(EntriesPosted(
            accounting_company_id=company_id, company_rut=sync.company_rut, sync_id=sync.id,
            entries=tuple(PostedEntry(
                entry_id=e["id"], number=e["number"], entry_date=e["entry_date"],
                kind=e["kind"], source_key=e["source_key"], total=e["total"])
                for e in entries)),
            subject=sync.id, correlation_id=sync.id)
    return len(entries)


async def _posted_now(uow: UnitOfWork, company_id: str, page: Page,
                      keys: set[str]) -> set[str]:
    """Of the keys, those the books hold now. Numbers are taken under the company's lock,
    which the caller holds, so an entry posted since the page was read numbers above
    ``page.through``: those few are read by number instead of every key looked up again.
    A reversal since may have freed a key seen posted: then every key is asked again."""
    since = await uow.journal.posted_since(company_id, page.through)
    if since.reversals:
        return await uow.journal.posted_source_keys(company_id, keys)
    return (page.posted | since.keys) & keys


def _postable(document: PostingState) -> bool:
    """Ready, or held only because its month was closed (and may be open again) or a
    document it settles was missing (and may be posted now)."""
    return document.status == DocumentStatus.READY or (
        document.status == DocumentStatus.HELD
        and document.hold_code in (CLOSED_PERIOD, AWAITING_DOCUMENT))


async def _settled(uow: UnitOfWork, sync: SyncSession, documents: Sequence[PostingDocument]
                   ) -> set[str] | None:
    """Of the keys the payments of a range sync settle, those the books hold: they post
    only after their documents (DESIGN §6, a sync's payments post after its documents).
    None when payments are not checked: live payments post as they come, as they always
    did."""
    if sync.kind != SyncKind.RANGE:
        return None
    keys = set().union(*(SyncPayment.of(d.payment).keys() for d in documents
                         if d.payment is not None))
    return await uow.journal.posted_source_keys(sync.company_id, keys) if keys else set()


async def _post(uow: UnitOfWork, sync: SyncSession,
                documents: Sequence[tuple[PostingDocument, Prepared]],
                books: Books, *, settled: Collection[str] | None = None,
                statuses: dict[str, tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """Hold or post each (document, its prepared entry); the entries written. ``books``:
    read under the company's lock, ``posted`` the keys among them the books already hold;
    ``settled``: see ``_settled``; ``statuses``: the documents' (sync_id, status), when
    known in this transaction."""
    company_id = sync.company_id
    context = Context(Stage.POSTING, posted=books.posted, settled=settled,
                      closed_months=books.closed_months, chart=books.chart)
    changes, to_post = [], []
    for document, prepared in documents:
        decision = classify(Document(
            document.source_key, entry=prepared.checked,
            settles=SyncPayment.of(document.payment)
            if settled is not None and document.payment is not None else None), context)
        if decision.postable:
            to_post.append((document, prepared))
        else:
            changes.append(change(document.id, decision.status, hold_reason=decision.reason,
                                  hold_code=decision.code))
    entries: list[dict[str, Any]] = []
    if to_post:
        number = await uow.journal.take_entry_numbers(company_id, len(to_post))
        now = datetime.now(UTC)
        lines = []
        for offset, (document, prepared) in enumerate(to_post):
            entries.append({
                "id": prepared.entry_id, "company_id": company_id, "number": number + offset,
                "entry_date": prepared.day, "kind": prepared.entry["kind"],
                "glosa": prepared.entry["glosa"], "source_key": document.source_key,
                "sync_id": sync.id, "total": prepared.total, "created_at": now,
            })
            lines.extend(prepared.lines)
            changes.append(change(document.id, DocumentStatus.POSTED,
                                  entry_id=prepared.entry_id))
        await uow.journal.add_entries(entries, lines)
        # Payments have no tipo DTE.
        counted = Counter("payment" if d.dte_type is None else "document" for d, _ in to_post)
        uow.after_commit(lambda: count_posted(counted))
    await uow.syncs.set_documents(changes, statuses)
    await remembered.learn(uow, sync, [document for document, _ in to_post])
    return entries


def count_posted(posted: Counter[str]) -> None:
    for source, count in posted.items():
        DOCUMENTS_POSTED.labels(source).inc(count)


def line_rows(entry_id: str, lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"entry_id": entry_id, "line_no": number, "account_code": line["account_code"],
         "role": line["role"], "debit": line["debit"], "credit": line["credit"],
         "counterparty_rut": line["counterparty_rut"], "description": line["description"]}
        for number, line in enumerate(lines, start=1)
    ]
