"""Posting a session's documents as comprobantes: the one place entries are written.

Used by confirm, by auto-post of live documents and payments, and when a reopened period
releases what waited for it. The books never take an entry that does not balance, names
an account that cannot be posted, falls in a closed month, or is already posted.

Confirm posts in pages (``post_next_page``), each its own transaction and one
EntriesPosted event; a single posting (``post_documents``) emits an EntryPosted per entry.
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from accounting.domain.journal import hold_reason
from accounting.domain.periods import CLOSED_PERIOD, closed_reason, month_of
from accounting.domain.syncs import DocumentStatus
from accounting.service_layer.unit_of_work import UnitOfWork
from shared.events import EntriesPosted, EntryPosted, PostedEntry
from shared.internal_api import ProposedEntry, ProposedLine
from shared.observability.metrics import DOCUMENTS_POSTED


def change(document_id: str, status: DocumentStatus, *, entry_id: str | None = None,
           hold_reason: str | None = None, hold_code: str | None = None) -> dict[str, Any]:
    return {"doc_id": document_id, "new_status": status.value, "new_entry_id": entry_id,
            "new_hold_reason": hold_reason, "new_hold_code": hold_code}


async def post_documents(uow: UnitOfWork, sync: Any, documents: Sequence[Any]) -> int:
    """Post the documents (each with a proposed entry); returns how many were posted."""
    documents = [d for d in documents if d.entry is not None]
    if not documents:
        return 0
    company_id = sync.company_id
    # Closing a month locks the company too: no month closes between the check and the post.
    await uow.repo.get_company(company_id, lock=True)
    posted_before = await uow.repo.posted_source_keys(company_id,
                                                      [d.source_key for d in documents])
    entries = await _post(uow, sync, [
        (d, stored_entry(d.entry), d.source_key in posted_before) for d in documents])
    for entry in entries:
        uow.emit(EntryPosted(entry_id=entry["id"], accounting_company_id=company_id,
                             company_rut=sync.company_rut, number=entry["number"],
                             entry_date=entry["entry_date"], kind=entry["kind"],
                             source_key=entry["source_key"], total=entry["total"]),
                 subject=entry["id"], correlation_id=sync.id)
    return len(entries)


async def post_next_page(uow: UnitOfWork, sync: Any, after: tuple[Any, ...] | None,
                         limit: int) -> tuple[tuple[Any, ...] | None, int]:
    """Post the next page of the session's postable documents in posting order: where
    the following page starts (None when there was nothing left) and how many posted.

    The caller commits each page. What a page leaves behind stays ready (or held), so a
    later confirm picks it up; what it posted is no longer ready, and the partial unique
    index on active entries refuses a second posting of a key whatever happens."""
    company_id = sync.company_id
    await uow.repo.get_company(company_id, lock=True)
    rows = await uow.repo.posting_page(sync.id, company_id, after, limit)
    if not rows:
        return None, 0
    entries = await _post(uow, sync, [(r, stored_entry(r.entry), bool(r.already_posted))
                                      for r in rows if _postable(r)])
    if entries:
        uow.emit(EntriesPosted.model_construct(
            accounting_company_id=company_id, company_rut=sync.company_rut, sync_id=sync.id,
            entries=tuple(PostedEntry.model_construct(
                entry_id=e["id"], number=e["number"], entry_date=e["entry_date"],
                kind=e["kind"], source_key=e["source_key"], total=e["total"])
                for e in entries)),
            subject=sync.id, correlation_id=sync.id)
    last = rows[-1]
    return (last.issue_date, -1 if last.dte_type is None else last.dte_type,
            -1 if last.folio is None else last.folio, last.id), len(entries)


def _postable(document: Any) -> bool:
    """Ready, or held only because its month was closed (and may be open again)."""
    if document.entry is None:
        return False
    return document.status == DocumentStatus.READY or (
        document.status == DocumentStatus.HELD and document.hold_code == CLOSED_PERIOD)


def stored_entry(data: dict[str, Any]) -> ProposedEntry:
    """A proposed entry as stored at intake, where it was validated: rebuilt without
    validating it again (RUTs and amounts were checked when it arrived)."""
    day = data["entry_date"]
    return ProposedEntry.model_construct(
        entry_date=day if isinstance(day, date) else date.fromisoformat(day),
        kind=data["kind"], glosa=data["glosa"],
        lines=[ProposedLine.model_construct(**line) for line in data["lines"]])


async def _post(uow: UnitOfWork, sync: Any,
                documents: Sequence[tuple[Any, ProposedEntry, bool]]) -> list[dict[str, Any]]:
    """Hold or post each (document, entry, already posted); the entries written."""
    company_id = sync.company_id
    closed = await uow.repo.closed_months(company_id)
    chart = await uow.repo.chart(company_id)
    changes, to_post = [], []
    for document, entry, already_posted in documents:
        month = month_of(entry.entry_date)
        if already_posted:
            changes.append(change(document.id, DocumentStatus.ALREADY_POSTED))
        elif month in closed:
            changes.append(change(document.id, DocumentStatus.HELD,
                                  hold_reason=closed_reason(month), hold_code=CLOSED_PERIOD))
        elif reason := hold_reason(entry.lines, chart):
            # Accounts may have changed since the proposal arrived.
            changes.append(change(document.id, DocumentStatus.HELD, hold_reason=reason))
        else:
            to_post.append((document, entry))
    entries: list[dict[str, Any]] = []
    if to_post:
        number = await uow.repo.take_entry_numbers(company_id, len(to_post))
        now = datetime.now(UTC)
        lines = []
        for offset, (document, entry) in enumerate(to_post):
            entry_id = str(uuid.uuid4())
            entries.append({
                "id": entry_id, "company_id": company_id, "number": number + offset,
                "entry_date": entry.entry_date, "kind": entry.kind, "glosa": entry.glosa,
                "source_key": document.source_key, "sync_id": sync.id,
                "total": entry.total_debit, "created_at": now,
            })
            lines.extend(line_rows(entry_id, entry.lines))
            changes.append(change(document.id, DocumentStatus.POSTED, entry_id=entry_id))
        await uow.repo.add_entries(entries, lines)
        # Payments have no tipo DTE.
        posted = Counter("payment" if d.dte_type is None else "document" for d, _ in to_post)
        uow.after_commit(lambda: count_posted(posted))
    await uow.repo.set_documents(changes)
    return entries


def count_posted(posted: Counter[str]) -> None:
    for source, count in posted.items():
        DOCUMENTS_POSTED.labels(source).inc(count)


def line_rows(entry_id: str, lines: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"entry_id": entry_id, "line_no": i + 1, "account_code": line.account_code,
         "role": getattr(line.role, "value", line.role), "debit": line.debit,
         "credit": line.credit, "counterparty_rut": line.counterparty_rut,
         "description": line.description}
        for i, line in enumerate(lines)
    ]
