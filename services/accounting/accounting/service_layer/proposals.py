"""Proposed entries handed over by the worker: stored once, checked, counted."""

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from accounting.domain.journal import hold_reason
from accounting.domain.syncs import DocumentStatus, SyncStatus, progress
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.http.problems import NotFound, Unprocessable
from shared.internal_api import Proposal, ProposalBatch, ProposalResult

LATE_ARRIVAL = ("it arrived after the sync session was confirmed: synchronise its date range "
                "again to review and post it")


async def receive(services: Services, batch: ProposalBatch) -> ProposalResult:
    _check_supported(batch.proposals)
    by_sync: dict[str, list[Proposal]] = defaultdict(list)
    for proposal in batch.proposals:
        by_sync[proposal.sync_id].append(proposal)
    accepted = duplicates = 0
    async with services.uow() as uow:
        # Sessions are locked in one order so concurrent batches cannot deadlock.
        for sync_id in sorted(by_sync):
            new, repeated = await _store(uow, sync_id, by_sync[sync_id])
            accepted += new
            duplicates += repeated
        await uow.commit()
    return ProposalResult(accepted=accepted, duplicates=duplicates)


async def _store(uow: UnitOfWork, sync_id: str, proposals: list[Proposal]) -> tuple[int, int]:
    sync = await uow.repo.get_sync(sync_id, lock=True)
    if sync is None:
        raise NotFound(f"There is no sync session with id {sync_id}.")
    for proposal in proposals:
        if proposal.company_rut != sync.company_rut:
            raise Unprocessable(
                f"Proposal {proposal.source_key} is for company {proposal.company_rut}, but "
                f"sync session {sync_id} is for company {sync.company_rut}.")
    seen = await uow.repo.stored_source_keys(sync_id, {p.source_key for p in proposals})
    new = []
    for proposal in proposals:
        if proposal.source_key not in seen:
            seen.add(proposal.source_key)
            new.append(proposal)
    if not new:
        return 0, len(proposals)
    posted = await uow.repo.posted_source_keys(sync.company_id, [p.source_key for p in new])
    chart = await uow.repo.chart(sync.company_id)
    now = datetime.now(UTC)
    rows = []
    for proposal in new:
        if sync.status == SyncStatus.CONFIRMED:
            status, reason = DocumentStatus.HELD, LATE_ARRIVAL
        elif proposal.source_key in posted:
            status, reason = DocumentStatus.ALREADY_POSTED, None
        elif proposal.hold_reason:
            status, reason = DocumentStatus.HELD, proposal.hold_reason
        else:
            reason = hold_reason(proposal.entry.lines, chart)
            status = DocumentStatus.HELD if reason else DocumentStatus.READY
        rows.append(_row(proposal, sync, status, reason, now))
    await uow.repo.add_documents(rows)
    received = sync.received + len(new)
    await uow.repo.update_sync(sync_id, received=received,
                               status=progress(SyncStatus(sync.status), sync.expected, received))
    return len(new), len(proposals) - len(new)


def _row(proposal: Proposal, sync: Any, status: DocumentStatus, reason: str | None,
         now: datetime) -> dict[str, Any]:
    document = proposal.document
    return {
        "id": str(uuid.uuid4()),
        "sync_id": sync.id,
        "company_id": sync.company_id,
        "source_key": proposal.source_key,
        "event_id": proposal.event_id,
        "issue_date": document.issue_date,
        "dte_type": document.dte_type,
        "folio": document.folio,
        "document": document.model_dump(mode="json"),
        "status": status.value,
        "hold_reason": reason,
        "entry": proposal.entry.model_dump(mode="json") if proposal.entry else None,
        "entry_id": None,
        "created_at": now,
    }


def _check_supported(proposals: list[Proposal]) -> None:
    errors = []
    for index, proposal in enumerate(proposals):
        if proposal.sync_id is None:
            errors.append({"field": f"proposals.{index}.sync_id",
                           "message": "live documents (without a sync session) arrive in a "
                                      "later version; send only proposals of a sync session"})
        elif proposal.document is None:
            errors.append({"field": f"proposals.{index}.payment",
                           "message": "payments are not part of sync sessions"})
    if errors:
        raise Unprocessable("Some proposals cannot be taken yet: "
                            + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]),
                            errors=errors)
