"""Sync sessions: progress, review of the proposed entries, and confirmation."""

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from accounting.domain.accounts import Account
from accounting.domain.journal import hold_reason
from accounting.domain.settings import account_problems, detail_role
from accounting.domain.syncs import DocumentStatus, SyncStatus, not_ready_to_confirm, progress
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import EntryPosted, SyncCompleted
from shared.http.problems import Conflict, NotFound, Unprocessable
from shared.internal_api import LineRole, ProposedEntry

log = logging.getLogger(__name__)


def sync_view(sync: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, Any]:
    return {
        "id": sync["id"],
        "company_id": sync["company_id"],
        "from": sync["date_from"],
        "to": sync["date_to"],
        "status": sync["status"],
        "expected": sync["expected"],
        "received": sync["received"],
        **{status.value: counts.get(status.value, 0) for status in DocumentStatus},
        "created_at": sync["created_at"],
        "confirmed_at": sync["confirmed_at"],
    }


async def on_sync_completed(uow: UnitOfWork, event: SyncCompleted,
                            *, correlation_id: str | None = None) -> None:
    sync = await uow.repo.get_sync(event.sync_id, lock=True)
    if sync is None:
        log.warning("sync.completed for unknown sync session %s; ignored", event.sync_id)
        return
    if sync.status == SyncStatus.CONFIRMED:
        return
    status = progress(SyncStatus(sync.status), event.document_count, sync.received)
    await uow.repo.update_sync(sync.id, expected=event.document_count, status=status)


async def get_sync(services: Services, sync_id: str) -> dict[str, Any]:
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id)
        return sync_view(sync, await uow.repo.document_counts(sync_id))


async def list_documents(services: Services, sync_id: str, status: DocumentStatus | None,
                         offset: int, limit: int) -> dict[str, Any]:
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id)
        rows, total = await uow.repo.list_documents(sync_id, status, offset, limit)
        chart = await uow.repo.chart(sync.company_id)
    return {"items": [document_view(r, chart) for r in rows], "total": total,
            "offset": offset, "limit": limit}


async def change_detail_account(services: Services, sync_id: str, document_id: str,
                                code: str) -> dict[str, Any]:
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id, lock=True)
        document = await uow.repo.get_document(sync_id, document_id)
        if document is None:
            raise NotFound(f"Sync session {sync_id} has no document {document_id}.")
        if sync.status == SyncStatus.CONFIRMED:
            raise Conflict("The sync session is already confirmed and its entries are posted; "
                           "posted entries cannot change.")
        if document.status != DocumentStatus.READY:
            raise Conflict(_not_ready(document), title="Document cannot change")
        chart = await uow.repo.chart(sync.company_id)
        role = detail_role(document.document["direction"])
        problems = account_problems(code, role, chart)
        if problems:
            raise Unprocessable(f"Account {code} cannot be this document's detail account: "
                                + "; ".join(problems),
                                errors=[{"field": "detail_account", "message": p}
                                        for p in problems])
        entry = dict(document.entry)
        if not any(line["role"] == LineRole.DETAIL for line in entry["lines"]):
            raise Conflict("This document's entry has no detail line to change.")
        entry["lines"] = [
            {**line, "account_code": code} if line["role"] == LineRole.DETAIL else line
            for line in entry["lines"]
        ]
        await uow.repo.update_document(document_id, entry=entry)
        await uow.commit()
        return document_view({**document, "entry": entry}, chart)


async def confirm(services: Services, sync_id: str) -> dict[str, Any]:
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id, lock=True)
        if sync.status == SyncStatus.CONFIRMED:
            return _summary(sync, await uow.repo.document_counts(sync_id))
        if sync.status != SyncStatus.IN_REVIEW:
            raise Conflict(
                "The sync session cannot be confirmed yet: "
                + not_ready_to_confirm(SyncStatus(sync.status), sync.expected, sync.received)
                + ".", title="Sync session not in review")
        await _post_ready_documents(uow, sync)
        await uow.repo.update_sync(sync_id, status=SyncStatus.CONFIRMED,
                                   confirmed_at=datetime.now(UTC))
        counts = await uow.repo.document_counts(sync_id)
        await uow.commit()
        return _summary({**sync, "status": SyncStatus.CONFIRMED}, counts)


async def _post_ready_documents(uow: UnitOfWork, sync: Any) -> None:
    """Post every ready document as a comprobante; in one transaction with the session."""
    documents = await uow.repo.documents_in_status(sync.id, DocumentStatus.READY)
    posted_before = await uow.repo.posted_source_keys(sync.company_id,
                                                      [d.source_key for d in documents])
    chart = await uow.repo.chart(sync.company_id)
    changes, to_post = [], []
    for document in documents:
        entry = ProposedEntry.model_validate(document.entry)
        if document.source_key in posted_before:
            changes.append(_change(document.id, DocumentStatus.ALREADY_POSTED))
            continue
        # Accounts may have changed since the proposal arrived: the books never take an
        # entry that does not balance or names an account that cannot be posted.
        reason = hold_reason(entry.lines, chart)
        if reason:
            changes.append(_change(document.id, DocumentStatus.HELD, hold_reason=reason))
        else:
            to_post.append((document, entry))
    if to_post:
        number = await uow.repo.take_entry_numbers(sync.company_id, len(to_post))
        now = datetime.now(UTC)
        entries, lines = [], []
        for offset, (document, entry) in enumerate(to_post):
            entry_id = str(uuid.uuid4())
            entries.append({
                "id": entry_id, "company_id": sync.company_id, "number": number + offset,
                "entry_date": entry.entry_date, "kind": entry.kind, "glosa": entry.glosa,
                "source_key": document.source_key, "sync_id": sync.id,
                "total": entry.total_debit, "created_at": now,
            })
            lines.extend(
                {"entry_id": entry_id, "line_no": i + 1, "account_code": line.account_code,
                 "role": line.role.value, "debit": line.debit, "credit": line.credit,
                 "counterparty_rut": line.counterparty_rut, "description": line.description}
                for i, line in enumerate(entry.lines)
            )
            changes.append(_change(document.id, DocumentStatus.POSTED, entry_id=entry_id))
            uow.emit(EntryPosted(entry_id=entry_id, accounting_company_id=sync.company_id,
                                 company_rut=sync.company_rut, number=number + offset,
                                 entry_date=entry.entry_date, kind=entry.kind,
                                 source_key=document.source_key, total=entry.total_debit),
                     subject=entry_id, correlation_id=sync.id)
        await uow.repo.add_entries(entries, lines)
    await uow.repo.set_documents(changes)


def _change(document_id: str, status: DocumentStatus, *, entry_id: str | None = None,
            hold_reason: str | None = None) -> dict[str, Any]:
    return {"doc_id": document_id, "new_status": status.value, "new_entry_id": entry_id,
            "new_hold_reason": hold_reason}


def _summary(sync: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, Any]:
    return {"id": sync["id"], "status": sync["status"],
            "posted": counts.get(DocumentStatus.POSTED, 0),
            "held": counts.get(DocumentStatus.HELD, 0),
            "already_posted": counts.get(DocumentStatus.ALREADY_POSTED, 0)}


def _not_ready(document: Any) -> str:
    if document.status == DocumentStatus.HELD:
        return (f"The document is held and will not be posted: {document.hold_reason}. "
                "Only ready documents can change their detail account.")
    if document.status == DocumentStatus.ALREADY_POSTED:
        return ("The document was already posted by an earlier sync; its entry cannot "
                "change here.")
    return "The document is already posted; posted entries cannot change."


def document_view(row: Mapping[str, Any], chart: dict[str, Account]) -> dict[str, Any]:
    entry = row["entry"]
    if entry is not None:
        entry = {
            **entry,
            "lines": [
                {**line, "account_name": chart[line["account_code"]].name
                 if line["account_code"] in chart else None}
                for line in entry["lines"]
            ],
        }
    return {"id": row["id"], "document": row["document"], "status": row["status"],
            "hold_reason": row["hold_reason"], "entry": entry, "entry_id": row["entry_id"]}


async def _sync(uow: UnitOfWork, sync_id: str, *, lock: bool = False):  # noqa: ANN202
    sync = await uow.repo.get_sync(sync_id, lock=lock)
    if sync is None:
        raise NotFound(f"There is no sync session with id {sync_id}.")
    return sync
