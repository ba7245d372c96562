"""Sync sessions: progress, review of the proposed entries, and confirmation."""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from accounting.domain.accounts import Account, with_account_names
from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.remembered import AccountSource, chosen_note
from accounting.domain.settings import account_problems, detail_role
from accounting.domain.syncs import (
    CLOSED,
    DELIVERING,
    DocumentStatus,
    SyncDocument,
    SyncKind,
    SyncSession,
    SyncStatus,
    not_ready_to_confirm,
    progress,
    stalled_reason,
)
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.manifests import expect_manifest
from accounting.service_layer.posting import Page, post_page, read_page
from accounting.service_layer.sync_payments import review_payments
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import SyncCompleted, SyncRefused, SyncRequested
from shared.internal_api import LineRole
from shared.observability.correlation import current_correlation_id, set_correlation_id

log = logging.getLogger(__name__)


def sync_view(sync: SyncSession, counts: Mapping[str, int],
              stall_after: timedelta | None = None) -> dict[str, Any]:
    """The session as the API shows it; with ``stall_after``, an open session that made
    no progress for that long is "stalled", with the reason and what to do."""
    last_progress = sync.last_progress
    reason = None if stall_after is None else stalled_reason(
        sync.status, sync.expected, sync.received,
        counts.get(DocumentStatus.READY, 0), _aware(last_progress), datetime.now(UTC),
        stall_after)
    return {
        "id": sync.id,
        "company_id": sync.company_id,
        "kind": sync.kind,
        "from": sync.date_from,
        "to": sync.date_to,
        "status": SyncStatus.STALLED if reason else sync.status,
        "stalled_reason": reason,
        "last_progress_at": last_progress,
        "expected": sync.expected,
        "received": sync.received,
        **{status.value: counts.get(status.value, 0) for status in DocumentStatus},
        "created_at": sync.created_at,
        "confirmed_at": sync.confirmed_at,
        "has_manifest": sync.has_manifest,
        "detail": sync.detail,
    }


async def on_sync_completed(uow: UnitOfWork, event: SyncCompleted,
                            *, correlation_id: str | None = None) -> None:
    if await uow.syncs.get_sync(event.sync_id) is None:
        log.warning("sync.completed for unknown sync session %s; ignored", event.sync_id)
        return
    manifest = None
    if event.manifest is not None and event.manifest_pages is None:
        # From a sender before manifest pages: every document is in this one message.
        manifest = event.manifest.model_dump(mode="json")
    elif event.manifest is not None:
        # Its documents come in pages; the session has a manifest once they all arrived.
        # Done before the session's lock: a page locks the manifest's row and then, if it
        # completes it, the session's; the same order here cannot deadlock with it.
        manifest = await expect_manifest(uow, event)
    sync = await _sync(uow, event.sync_id, lock=True)
    values: dict[str, Any] = {} if manifest is None else {"manifest": manifest}
    if sync.status not in CLOSED:
        # Once confirmed (reviewed and posted) only the manifest still matters. The
        # payments and collections of the range come as proposals of the session too.
        expected = event.document_count + (event.payment_count or 0)
        values["expected"] = expected
        values["status"] = progress(SyncStatus(sync.status), expected, sync.received)
        values["progress_at"] = datetime.now(UTC)
    if values:
        await uow.syncs.update_sync(sync.id, **values)
    if values.get("status") == SyncStatus.IN_REVIEW:
        await review_payments(uow, sync)


async def on_sync_refused(uow: UnitOfWork, event: SyncRefused,
                          *, correlation_id: str | None = None) -> None:
    """Invoicing sends this session no (more) documents: it says so instead of waiting."""
    sync = await uow.syncs.get_sync(event.sync_id, lock=True)
    if sync is None or sync.company_id != event.accounting_company_id \
            or sync.company_rut != event.company_rut:
        log.warning("sync.refused for sync session %s, which is not one of accounting company "
                    "%s for %s; ignored", event.sync_id, event.accounting_company_id,
                    event.company_rut)
        return
    if sync.status == SyncStatus.CONFIRMED:
        log.warning("sync.refused for sync session %s, already confirmed; ignored", sync.id)
        return
    await uow.syncs.update_sync(sync.id, status=SyncStatus.REFUSED, detail=event.reason)
    log.warning("invoicing refused sync session %s: %s", sync.id, event.reason)


async def list_syncs(services: Services, company_id: str, kind: SyncKind | None,
                     status: SyncStatus | None) -> list[dict[str, Any]]:
    async with services.reads() as uow:
        await company_or_404(uow, company_id)
        rows = await uow.queries.list_syncs(
            company_id, kind, status, stalled_before=datetime.now(UTC) - services.stall_after)
        counts = await uow.queries.counts_by_sync([r.id for r in rows])
    return [sync_view(r, counts[r.id], services.stall_after) for r in rows]


async def get_sync(services: Services, sync_id: str, wait: float = 0.0) -> dict[str, Any]:
    """The session; with ``wait``, one still delivering (requested or receiving) is
    answered once it is not any more (in review, refused, stalled…) or after ``wait``
    seconds, whichever is first: a front-end waits on it instead of polling."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        with services.moves.listening(sync_id) as bell:
            view = await _view(services, sync_id)
            left = deadline - loop.time()
            if view["status"] not in DELIVERING or left <= 0:
                return view
            await bell.wait(left)


async def _view(services: Services, sync_id: str) -> dict[str, Any]:
    async with services.reads() as uow:
        found = await uow.queries.sync_with_counts(sync_id)
    if found is None:
        raise NotFound(f"There is no sync session with id {sync_id}.")
    return sync_view(*found, services.stall_after)


async def resume(services: Services, sync_id: str) -> dict[str, Any]:
    """Make a session that cannot progress go on: one still receiving asks invoicing for
    its range again (its export goes on after the last page it committed, and an export
    already finished sends its completion again), one whose confirm stopped finishes it.
    Safe to call any number of times: nothing is sent, stored or posted twice."""
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id, lock=True)
        status = SyncStatus(sync.status)
        if status == SyncStatus.CONFIRMING:
            pass  # finished below, outside this transaction
        elif status in DELIVERING and sync.kind == SyncKind.RANGE:
            set_correlation_id(str(sync.id))
            log.info("sync session %s resumed (%s, %d of %s received): asking invoicing "
                     "again", sync.id, status, sync.received, sync.expected)
            uow.emit(SyncRequested(sync_id=str(sync.id), accounting_company_id=sync.company_id,
                                   company_rut=sync.company_rut, date_from=sync.date_from,
                                   date_to=sync.date_to),
                     subject=str(sync.id), correlation_id=str(sync.id))
            await uow.syncs.update_sync(sync_id, progress_at=datetime.now(UTC))
            await uow.commit()
            sync = await _sync(uow, sync_id)
            return sync_view(sync, await uow.syncs.document_counts(sync_id),
                             services.stall_after)
        else:
            raise Conflict(f"The sync session is {status.value}: it is not waiting for "
                           "anything, so there is nothing to resume"
                           + (" (confirm it to post its documents)."
                              if status == SyncStatus.IN_REVIEW else "."),
                           title="Nothing to resume")
    await confirm(services, sync_id)
    return await get_sync(services, sync_id)


async def resume_interrupted_confirms(services: Services) -> list[str]:
    """Finish the confirms whose process stopped half way (no page posted for the lease);
    each is claimed by one replica. The sessions resumed."""
    now = datetime.now(UTC)
    async with services.uow() as uow:
        claimed = await uow.syncs.claim_interrupted_confirms(now - services.confirm_lease, now)
        await uow.commit()
    for sync_id in claimed:
        log.warning("sync session %s was left confirming (its confirm stopped half way); "
                    "resuming it", sync_id)
        try:
            await confirm(services, str(sync_id))
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("resuming the confirm of sync session %s failed; it stays "
                          "confirming and is tried again", sync_id)
    return [str(s) for s in claimed]


async def list_documents(services: Services, sync_id: str, status: DocumentStatus | None,
                         offset: int, limit: int) -> dict[str, Any]:
    async with services.reads() as uow:
        sync = await _sync(uow, sync_id)
        rows, total = await uow.queries.list_documents(sync_id, status, offset, limit)
        chart = await uow.companies.chart(sync.company_id)
    return {"items": [document_view(r, chart) for r in rows], "total": total,
            "offset": offset, "limit": limit}


async def change_detail_account(services: Services, sync_id: str, document_id: str,
                                code: str) -> dict[str, Any]:
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id, lock=True)
        document = await uow.syncs.get_document(sync_id, document_id)
        if document is None:
            raise NotFound(f"Sync session {sync_id} has no document {document_id}.")
        if sync.status in CLOSED:
            raise Conflict("The sync session is already confirmed and its entries are posted; "
                           "posted entries cannot change.")
        if document.document is None:
            raise Conflict("This is a payment: its entry has no detail account to change.",
                           title="Document cannot change")
        if document.status != DocumentStatus.READY:
            raise Conflict(_not_ready(document), title="Document cannot change")
        chart = await uow.companies.chart(sync.company_id)
        role = detail_role(document.document["direction"])
        problems = account_problems(code, role, chart)
        if problems:
            raise Unprocessable(f"Account {code} cannot be this document's detail account: "
                                + "; ".join(problems),
                                errors=[{"field": "detail_account", "message": p}
                                        for p in problems])
        proposed = document.entry
        if proposed is None or not any(line["role"] == LineRole.DETAIL
                                       for line in proposed["lines"]):
            raise Conflict("This document's entry has no detail line to change.")
        entry = {**proposed, "lines": [
            {**line, "account_code": code} if line["role"] == LineRole.DETAIL else line
            for line in proposed["lines"]
        ]}
        # Remembered for the counterparty when the confirm posts it (remembered.learn).
        source = AccountSource.CHOSEN.value
        note = chosen_note(document.document["direction"],
                           document.document["counterparty"]["rut"], chart[code])
        await uow.syncs.update_document(document_id, entry=entry, account_source=source,
                                        account_note=note)
        await uow.commit()
        return document_view(replace(document, entry=entry, account_source=source,
                                     account_note=note), chart)


async def confirm(services: Services, sync_id: str) -> dict[str, Any]:
    """Confirm the session and post its ready documents (and those a reopened month
    released since), in pages of ``services.page_size``, each page its own transaction.

    One transaction for a year of documents would hold the company's lock and a growing
    transaction for the whole posting, so the session is marked confirming first (from
    then on nothing in it can change and late arrivals are held), each page commits with
    its entries, its EntriesPosted event and the session's progress time, and the session
    is confirmed once the last page is done. If a confirm stops half way (a crash, a lost
    connection), the session stays confirming and what it did not reach is still ready:
    confirming again (or resume, or a replica once the lease passed) posts the rest and
    answers the same summary; a posted document is no longer ready, and the partial unique
    index on active entries refuses a second posting of a key in any case.
    """
    # The posted entries' logs and events join the rest of the sync's under its id.
    async with services.uow() as uow:
        sync = await _sync(uow, sync_id, lock=True)
        log.info("confirming sync session %s, request %s", sync.id, current_correlation_id())
        set_correlation_id(str(sync.id))
        if sync.status == SyncStatus.IN_REVIEW:
            await uow.syncs.update_sync(sync_id, status=SyncStatus.CONFIRMING,
                                       progress_at=datetime.now(UTC))
            await uow.commit()
        elif sync.status == SyncStatus.REFUSED:
            raise Conflict(f"The sync session cannot be confirmed: invoicing refused it. "
                           f"{sync.detail}", title="Sync session refused")
        elif sync.status not in CLOSED:
            raise Conflict(
                "The sync session cannot be confirmed yet: "
                + not_ready_to_confirm(SyncStatus(sync.status), sync.expected, sync.received)
                + ".", title="Sync session not in review")
    # Confirming again posts only what is still ready or a reopened period released since.
    # The next page is read and prepared while the database writes the current one.
    async def read(after: tuple[Any, ...] | None, payments: bool) -> Page | None:
        async with services.uow() as uow:
            return await read_page(uow, sync, after, services.page_size, payments=payments)

    # The documents first, then the payments and collections that settle them.
    for payments in (False, True):
        page = await read(None, payments)
        while page is not None:
            ahead = asyncio.create_task(read(page.after, payments))
            try:
                async with services.uow() as uow:
                    # The session's row before the company's, the order live intake takes
                    # them.
                    await uow.syncs.update_sync(sync_id, progress_at=datetime.now(UTC))
                    await post_page(uow, sync, page)
                    await uow.commit()
            except BaseException:
                ahead.cancel()
                raise
            page = await ahead
    async with services.uow() as uow:
        done = await _sync(uow, sync_id, lock=True)
        if done.status == SyncStatus.CONFIRMING:
            now = datetime.now(UTC)
            await uow.syncs.update_sync(sync_id, status=SyncStatus.CONFIRMED, confirmed_at=now,
                                       progress_at=now)
            await uow.commit()
        counts = await uow.syncs.document_counts(sync_id)
    summary = _summary(sync_id, SyncStatus.CONFIRMED, counts)
    log.info("sync session %s confirmed: %d posted, %d held, %d already posted", sync_id,
             summary["posted"], summary["held"], summary["already_posted"])
    return summary


def _summary(sync_id: str, status: SyncStatus, counts: Mapping[str, int]) -> dict[str, Any]:
    return {"id": sync_id, "status": status,
            "posted": counts.get(DocumentStatus.POSTED, 0),
            "held": counts.get(DocumentStatus.HELD, 0),
            "already_posted": counts.get(DocumentStatus.ALREADY_POSTED, 0)}


def _not_ready(document: SyncDocument) -> str:
    if document.status == DocumentStatus.HELD:
        return (f"The document is held and will not be posted: {document.hold_reason}. "
                "Only ready documents can change their detail account.")
    if document.status == DocumentStatus.ALREADY_POSTED:
        return ("The document was already posted by an earlier sync; its entry cannot "
                "change here.")
    return "The document is already posted; posted entries cannot change."


def document_view(document: SyncDocument, chart: dict[str, Account]) -> dict[str, Any]:
    entry = document.entry
    if entry is not None:
        entry = {**entry, "lines": with_account_names(entry["lines"], chart)}
    notes = [n for n in (document.note, document.account_note) if n]
    return {"id": document.id, "document": document.document, "payment": document.payment,
            "status": document.status, "hold_reason": document.hold_reason,
            "note": "; ".join(notes) or None, "entry": entry, "entry_id": document.entry_id,
            "account_source": document.account_source,
            "account_note": document.account_note}


async def _sync(uow: UnitOfWork, sync_id: str, *, lock: bool = False) -> SyncSession:
    sync = await uow.syncs.get_sync(sync_id, lock=lock)
    if sync is None:
        raise NotFound(f"There is no sync session with id {sync_id}.")
    return sync


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
