"""Posting a session's documents as comprobantes: the one place entries are written.

Used by confirm, by auto-post of live documents and payments, and when a reopened period
releases what waited for it. The books never take an entry that does not balance, names
an account that cannot be posted, falls in a closed month, or is already posted.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from accounting.domain.journal import hold_reason
from accounting.domain.periods import CLOSED_PERIOD, closed_reason, month_of
from accounting.domain.syncs import DocumentStatus
from accounting.service_layer.unit_of_work import UnitOfWork
from shared.events import EntryPosted
from shared.internal_api import ProposedEntry


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
    closed = await uow.repo.closed_months(company_id)
    chart = await uow.repo.chart(company_id)
    changes, to_post = [], []
    for document in documents:
        entry = ProposedEntry.model_validate(document.entry)
        month = month_of(entry.entry_date)
        if document.source_key in posted_before:
            changes.append(change(document.id, DocumentStatus.ALREADY_POSTED))
        elif month in closed:
            changes.append(change(document.id, DocumentStatus.HELD,
                                  hold_reason=closed_reason(month), hold_code=CLOSED_PERIOD))
        elif reason := hold_reason(entry.lines, chart):
            # Accounts may have changed since the proposal arrived.
            changes.append(change(document.id, DocumentStatus.HELD, hold_reason=reason))
        else:
            to_post.append((document, entry))
    if to_post:
        number = await uow.repo.take_entry_numbers(company_id, len(to_post))
        now = datetime.now(UTC)
        entries, lines = [], []
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
            uow.emit(EntryPosted(entry_id=entry_id, accounting_company_id=company_id,
                                 company_rut=sync.company_rut, number=number + offset,
                                 entry_date=entry.entry_date, kind=entry.kind,
                                 source_key=document.source_key, total=entry.total_debit),
                     subject=entry_id, correlation_id=sync.id)
        await uow.repo.add_entries(entries, lines)
    await uow.repo.set_documents(changes)
    return len(to_post)


def line_rows(entry_id: str, lines: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"entry_id": entry_id, "line_no": i + 1, "account_code": line.account_code,
         "role": getattr(line.role, "value", line.role), "debit": line.debit,
         "credit": line.credit, "counterparty_rut": line.counterparty_rut,
         "description": line.description}
        for i, line in enumerate(lines)
    ]
