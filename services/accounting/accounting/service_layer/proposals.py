"""Proposed entries handed over by the worker: stored once, checked, counted.

Proposals of a sync session go to that session. Live ones (sync_id null: documents
recorded after the first sync, and every payment) go to the company's open live session,
created when needed, and are posted at once when the company has auto-post on.
"""

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from accounting.domain.journal import hold_reason
from accounting.domain.periods import CLOSED_PERIOD, closed_reason, month_of
from accounting.domain.syncs import CLOSED, DocumentStatus, SyncKind, SyncStatus
from accounting.service_layer.posting import change, post_documents
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.http.problems import NotFound, Unprocessable
from shared.ids import new_ids
from shared.internal_api import Proposal, ProposalBatch, ProposalResult
from shared.rut import FINAL_CONSUMER_RUT

LATE_ARRIVAL = ("it arrived after the sync session was confirmed: synchronise its date range "
                "again to review and post it")


async def receive(services: Services, batch: ProposalBatch) -> ProposalResult:
    _check_supported(batch.proposals)
    by_sync: dict[str, list[Proposal]] = defaultdict(list)
    live: dict[str, list[Proposal]] = defaultdict(list)
    for proposal in batch.proposals:
        if proposal.sync_id is None:
            live[proposal.company_rut].append(proposal)
        else:
            by_sync[proposal.sync_id].append(proposal)
    accepted = duplicates = 0
    async with services.uow() as uow:
        # Sessions are locked in one order so concurrent batches cannot deadlock.
        for sync_id in sorted(by_sync):
            new, repeated = await _store(uow, sync_id, by_sync[sync_id])
            accepted += new
            duplicates += repeated
        for company_rut in sorted(live):
            new, repeated = await _store_live(uow, company_rut, live[company_rut])
            accepted += new
            duplicates += repeated
        await uow.commit()
    return ProposalResult(accepted=accepted, duplicates=duplicates)


async def _store(uow: UnitOfWork, sync_id: str, proposals: list[Proposal]) -> tuple[int, int]:
    # Not locked: concurrent batches of one session proceed side by side. The documents'
    # unique (session, key) stores each once, and the counters move in one UPDATE at the
    # end, which is also where a confirm that came in between shows (see _add).
    sync = await uow.repo.get_sync(sync_id)
    if sync is None:
        raise NotFound(f"There is no sync session with id {sync_id}.")
    for proposal in proposals:
        if proposal.company_rut != sync.company_rut:
            raise Unprocessable(
                f"Proposal {proposal.source_key} is for company {proposal.company_rut}, but "
                f"sync session {sync_id} is for company {sync.company_rut}.")
    seen = await uow.repo.stored_source_keys(sync_id, {p.source_key for p in proposals})
    new = _first_of_each(proposals, seen)
    stored = await _add(uow, sync, new) if new else []
    return len(stored), len(proposals) - len(stored)


async def _store_live(uow: UnitOfWork, company_rut: str,
                      proposals: list[Proposal]) -> tuple[int, int]:
    link = await uow.repo.link_for_rut(company_rut)
    if link is None:
        raise NotFound(f"No accounting company is linked to the invoicing company "
                       f"{company_rut}: its integration request is not approved.")
    # Once per (company, source_key) across all its live sessions, so a redelivered live
    # document or payment is not stored again after its session was confirmed.
    seen = await uow.repo.live_source_keys(link.company_id, {p.source_key for p in proposals})
    new = _first_of_each(proposals, seen)
    if not new:
        return 0, len(proposals)
    sync = await _open_live_session(uow, link)
    rows = await _add(uow, sync, new)
    if (await uow.repo.get_options(link.company_id)).auto_post:
        await post_documents(uow, sync, [r for r in rows if r.status == DocumentStatus.READY])
    return len(rows), len(proposals) - len(rows)


async def _open_live_session(uow: UnitOfWork, link: Any) -> Any:
    """The company's open live session, locked; a new one when there is none."""
    sync = await uow.repo.open_live_sync(link.company_id, lock=True)
    if sync is not None:
        return sync
    # Creating: the company's row lock makes concurrent batches agree on one session.
    await uow.repo.get_company(link.company_id, lock=True)
    sync = await uow.repo.open_live_sync(link.company_id, lock=True)
    if sync is not None:
        return sync
    sync_id = str(uuid.uuid4())
    await uow.repo.add_sync({
        "id": sync_id, "company_id": link.company_id, "company_rut": link.company_rut,
        "kind": SyncKind.LIVE, "date_from": None, "date_to": None,
        # Nothing more to wait for: live documents can be reviewed and confirmed any time.
        "status": SyncStatus.IN_REVIEW, "expected": None, "received": 0,
        "created_at": datetime.now(UTC), "confirmed_at": None, "progress_at": None,
    })
    return await uow.repo.get_sync(sync_id, lock=True)


def _first_of_each(proposals: list[Proposal], seen: set[str]) -> list[Proposal]:
    new = []
    for proposal in proposals:
        if proposal.source_key not in seen:
            seen.add(proposal.source_key)
            new.append(proposal)
    return new


async def _add(uow: UnitOfWork, sync: Any, new: list[Proposal]) -> list[Any]:
    posted = await uow.repo.posted_source_keys(sync.company_id, [p.source_key for p in new])
    chart = await uow.repo.chart(sync.company_id)
    closed = await uow.repo.closed_months(sync.company_id)
    notes = await _counterparty_notes(uow, sync.company_id, new)
    now = datetime.now(UTC)
    rows = []
    for proposal, document_id in zip(new, new_ids(len(new)), strict=True):
        code = None
        if sync.status in CLOSED:
            status, reason = DocumentStatus.HELD, LATE_ARRIVAL
        elif proposal.source_key in posted:
            status, reason = DocumentStatus.ALREADY_POSTED, None
        elif proposal.hold_reason:
            status, reason = DocumentStatus.HELD, proposal.hold_reason
        elif out_of_range := _outside_range(proposal, sync):
            status, reason = DocumentStatus.HELD, out_of_range
        elif (month := month_of(proposal.entry.entry_date)) in closed:
            status, reason, code = DocumentStatus.HELD, closed_reason(month), CLOSED_PERIOD
        else:
            reason = hold_reason(proposal.entry.lines, chart)
            status = DocumentStatus.HELD if reason else DocumentStatus.READY
        rows.append(_row(document_id, proposal, sync, status, reason, code,
                         notes.get(proposal.source_key), now))
    inserted = await uow.repo.add_documents(rows)
    if len(inserted) < len(rows):  # a concurrent batch stored some of them first
        rows = [row for row in rows if row["id"] in inserted]
    if not rows:
        return []
    status = await uow.repo.count_received(sync.id, len(rows))
    if status in CLOSED and sync.status not in CLOSED:
        # Confirmed while this batch was on its way: late arrivals, like any other.
        late = [change(row["id"], DocumentStatus.HELD, hold_reason=LATE_ARRIVAL)
                for row in rows]
        await uow.repo.set_documents(late)
        for row in rows:
            row.update(status=DocumentStatus.HELD.value, hold_reason=LATE_ARRIVAL,
                       hold_code=None)
    return [_Stored(row) for row in rows]


class _Stored:
    """A row just inserted, read like one fetched (attribute access)."""

    def __init__(self, row: dict[str, Any]):
        self.__dict__.update(row)


def _outside_range(proposal: Proposal, sync: Any) -> str | None:
    if proposal.document is None or sync.date_from is None:
        return None
    day = proposal.document.issue_date
    if sync.date_from <= day <= sync.date_to:
        return None
    return (f"it is dated {day}, outside the session's range {sync.date_from} to "
            f"{sync.date_to}: synchronise a range that holds that date to review it")


async def _counterparty_notes(uow: UnitOfWork, company_id: str,
                              proposals: list[Proposal]) -> dict[str, str]:
    """Record new auxiliares; note (not hold) a RUT that comes under another name."""
    parties = {}
    for proposal in proposals:
        source = proposal.document or proposal.payment
        party = source.counterparty
        if party.rut != FINAL_CONSUMER_RUT:  # boletas name the final consumer freely
            parties.setdefault(party.rut, []).append((proposal.source_key, party.name))
    known = await uow.repo.counterparty_names(company_id, parties)
    await uow.repo.add_counterparties(
        company_id, {rut: named[0][1] for rut, named in parties.items() if rut not in known})
    notes = {}
    for rut, named in parties.items():
        name = known.get(rut, named[0][1])
        for source_key, other in named:
            if other.strip().casefold() != name.strip().casefold():
                notes[source_key] = (
                    f"RUT {rut} is already known as '{name}', but this names it '{other}': "
                    f"the auxiliary keeps '{name}'; check the RUT if they are not the same")
    return notes


def _row(document_id: str, proposal: Proposal, sync: Any, status: DocumentStatus,
         reason: str | None, code: str | None, note: str | None,
         now: datetime) -> dict[str, Any]:
    document, payment = proposal.document, proposal.payment
    if proposal.entry is not None:
        day = proposal.entry.entry_date
    else:
        day = document.issue_date if document else payment.paid_on
    return {
        "id": document_id,
        "sync_id": sync.id,
        "company_id": sync.company_id,
        "source_key": proposal.source_key,
        "event_id": proposal.event_id,
        "issue_date": day,
        "dte_type": document.dte_type if document else None,
        "folio": document.folio if document else None,
        "document": document.model_dump(mode="json") if document else None,
        "payment": payment.model_dump(mode="json") if payment else None,
        "status": status.value,
        "hold_reason": reason,
        "hold_code": code,
        "note": note,
        "entry": proposal.entry.model_dump(mode="json") if proposal.entry else None,
        "entry_id": None,
        "created_at": now,
    }


def _check_supported(proposals: list[Proposal]) -> None:
    errors = [
        {"field": f"proposals.{index}.sync_id",
         "message": "payments belong to no sync session: send them with sync_id null"}
        for index, proposal in enumerate(proposals)
        if proposal.payment is not None and proposal.sync_id is not None
    ]
    if errors:
        raise Unprocessable("Some proposals cannot be taken: "
                            + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]),
                            errors=errors)
