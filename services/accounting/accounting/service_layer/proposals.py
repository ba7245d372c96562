"""Proposed entries handed over by the worker: stored once, checked, counted.

Proposals of a sync session go to that session: its documents, and the payments and
collections paid in its range (held, once the whole sync is in, while a document they
settle is not in accounting: sync_payments). Live ones (sync_id null: documents recorded
after the first sync, and payments recorded once the company is connected) go to the
company's open live session, created when needed, and are posted at once when the company
has auto-post on. A payment is one entry however it came: its key (payment:<id>) is the
same live and in a sync, a live one that any session of the company already holds is not
stored again, and the books never hold a key twice.
"""

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from accounting.domain.classification import (
    LATE,
    Context,
    Decision,
    Document,
    Entry,
    Stage,
    classify,
)
from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.integrations import IntegrationLink
from accounting.domain.settings import SettingsVersion
from accounting.domain.syncs import (
    CLOSED,
    DocumentStatus,
    SyncDocument,
    SyncKind,
    SyncSession,
    SyncStatus,
)
from accounting.service_layer import remembered
from accounting.service_layer.posting import (
    Books,
    change,
    lock_books,
    post_documents,
    read_books,
)
from accounting.service_layer.sync_payments import review_payments
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import PaymentRecorded, TaxDocument
from shared.ids import new_ids
from shared.internal_api import STALE_SETTINGS, Proposal, ProposalBatch, ProposalResult
from shared.rut import FINAL_CONSUMER_RUT


async def receive(services: Services, batch: ProposalBatch) -> ProposalResult:
    by_sync: dict[str, list[Proposal]] = defaultdict(list)
    live: dict[str, list[Proposal]] = defaultdict(list)
    for proposal in batch.proposals:
        if proposal.sync_id is None:
            live[proposal.company_rut].append(proposal)
        else:
            by_sync[proposal.sync_id].append(proposal)
    accepted = duplicates = 0
    async with services.uow() as uow:
        # Where each group goes, read without locks; then the locks in the one order of
        # repository.py (LOCK ORDER): the batch's new counterparties, the range sessions in
        # id order, then the live sessions (and their companies) in RUT order.
        syncs = {sync_id: await _session_for(uow, sync_id, by_sync[sync_id])
                 for sync_id in sorted(by_sync)}
        links = {rut: await _link_for(uow, rut) for rut in sorted(live)}
        groups = [(syncs[s].company_id, by_sync[s]) for s in syncs]
        groups += [(links[rut].company_id, live[rut]) for rut in links]
        current = await uow.settings.settings_versions(sorted({c for c, _ in groups}))
        _check_settings_versions(batch.settings_versions, groups, current)
        notes = await _record_counterparties(uow, groups)
        grown = []
        for sync_id, sync in syncs.items():
            new, repeated = await _store(uow, sync, by_sync[sync_id], notes)
            accepted += new
            duplicates += repeated
            if new:
                grown.append(sync_id)
        for company_rut, link in links.items():
            new, repeated = await _store_live(uow, link, live[company_rut], notes,
                                              auto_post=current[link.company_id].auto_post)
            accepted += new
            duplicates += repeated
        await _review_completed(uow, grown)
        await uow.commit()
    services.moves.ring(grown)  # one may be in review now: whoever waits on it looks
    return ProposalResult(accepted=accepted, duplicates=duplicates)


async def _review_completed(uow: UnitOfWork, sync_ids: list[str]) -> None:
    """Check the payments of the range sessions this batch completed (or added to once
    complete) against their documents: only once the whole sync is in, whatever order its
    pages arrived in. Last, where the LOCK ORDER puts documents changing status."""
    for sync_id in sync_ids:
        sync = await uow.syncs.get_sync(sync_id)  # as this batch left it
        if sync is not None and sync.status == SyncStatus.IN_REVIEW:
            await review_payments(uow, sync)


async def _session_for(uow: UnitOfWork, sync_id: str,
                       proposals: list[Proposal]) -> SyncSession:
    sync = await uow.syncs.get_sync(sync_id)
    if sync is None:
        raise NotFound(f"There is no sync session with id {sync_id}.")
    for proposal in proposals:
        if proposal.company_rut != sync.company_rut:
            raise Unprocessable(
                f"Proposal {proposal.source_key} is for company {proposal.company_rut}, but "
                f"sync session {sync_id} is for company {sync.company_rut}.")
    return sync


async def _link_for(uow: UnitOfWork, company_rut: str) -> IntegrationLink:
    link = await uow.companies.link_for_rut(company_rut)
    if link is None:
        raise NotFound(f"No accounting company is linked to the invoicing company "
                       f"{company_rut}: its integration request is not approved.")
    return link


def _check_settings_versions(used: dict[str, int] | None,
                             groups: list[tuple[str, list[Proposal]]],
                             current: dict[str, SettingsVersion]) -> None:
    """Refuse a batch built with settings that changed since (409 STALE_SETTINGS).

    Why a version and not only the settings.changed event: each worker caches posting
    profiles, and the event reaches one of the workers sharing the queue, so the others
    went on posting to the old accounts (issue 12: 10,000 of 20,000 entries after a change
    of the default accounts). A queue per worker for the event would still leave a window
    (a batch built just before the event arrives) and depends on every replica staying
    subscribed; the version is checked here, where the proposals are stored, so no cache
    can outlive a change whatever it heard. The worker then drops the profiles named,
    fetches them again and builds the batch again (integration_worker ProposeEntries).

    Read without a lock: a change committed while this batch is stored orders after it, as
    if the batch had arrived first, which is all a batch built before the change could
    mean anyway; a sync started after a change returned is checked against it."""
    if used is None:  # built by hand (tools, tests), not from a cached profile
        return
    ruts: dict[str, set[str]] = defaultdict(set)
    for company_id, proposals in groups:
        ruts[company_id].update(p.company_rut for p in proposals)
    stale = [{"accounting_company_id": company_id, "company_ruts": sorted(ruts[company_id]),
              "version": now.version, "used": used.get(company_id)}
             for company_id, now in current.items() if used.get(company_id) != now.version]
    if stale:
        names = "; ".join(f"company {s['accounting_company_id']} is at version {s['version']}, "
                          f"the batch used {s['used']}" for s in stale)
        raise Conflict(f"The default accounts changed since these proposals were built ({names})"
                       ": fetch the posting profile again and build them again. Nothing of "
                       "the batch was stored.", title="Settings changed",
                       type=STALE_SETTINGS, stale=stale)


async def _store(uow: UnitOfWork, sync: SyncSession, proposals: list[Proposal],
                 notes: dict[tuple[str, str], str]) -> tuple[int, int]:
    # Not locked: concurrent batches of one session proceed side by side. The documents'
    # unique (session, key) stores each once, and the counters move in one UPDATE at the
    # end, which is also where a confirm that came in between shows (see _add).
    seen = await uow.syncs.stored_source_keys(sync.id, {p.source_key for p in proposals})
    new = _first_of_each(proposals, seen)
    stored = await _add(uow, sync, new, notes) if new else []
    return len(stored), len(proposals) - len(stored)


async def _store_live(uow: UnitOfWork, link: IntegrationLink, proposals: list[Proposal],
                      notes: dict[tuple[str, str], str], *, auto_post: bool
                      ) -> tuple[int, int]:
    # Once per (company, source_key) across all its live sessions, so a redelivered live
    # document or payment is not stored again after its session was confirmed.
    seen = await uow.syncs.live_source_keys(link.company_id, {p.source_key for p in proposals})
    # A payment a range sync brought (posted, or waiting in review there) is that one
    # payment: its live event, redelivered or replayed later, is nothing new.
    seen |= await uow.syncs.payment_keys_held(
        link.company_id, {p.source_key for p in proposals if p.payment is not None})
    new = _first_of_each(proposals, seen)
    if not new:
        return 0, len(proposals)
    sync, company_locked = await _open_live_session(uow, link)
    books = None
    if auto_post:
        # Posted at once: the company's lock now, the LOCK ORDER's step after the live
        # session, so that intake and posting check the proposals against one reading of
        # the books, taken under it (lock_books says why it holds until the commit).
        books = await lock_books(uow, link.company_id, [p.source_key for p in new],
                                 locked=company_locked)
    rows = await _add(uow, sync, new, notes, books)
    if books is not None:
        # Records of the ready ones only: a range batch of thousands needs none. Their
        # status is intake's: this transaction inserted them, no other can change them.
        ready = [r for r in rows if r["status"] == DocumentStatus.READY]
        await post_documents(uow, sync, [SyncDocument.of(r) for r in ready], books,
                             statuses={r["id"]: (sync.id, r["status"]) for r in ready})
    return len(rows), len(proposals) - len(rows)


async def _open_live_session(uow: UnitOfWork,
                             link: IntegrationLink) -> tuple[SyncSession, bool]:
    """The company's open live session, locked; a new one when there is none. And whether
    the company's row was locked on the way."""
    sync = await uow.syncs.open_live_sync(link.company_id, lock=True)
    if sync is not None:
        return sync, False
    # Creating: the company's row lock makes concurrent batches agree on one session.
    await uow.companies.get_company(link.company_id, lock=True)
    sync = await uow.syncs.open_live_sync(link.company_id, lock=True)
    if sync is not None:
        return sync, True
    sync = SyncSession(
        id=str(uuid.uuid4()), company_id=link.company_id, company_rut=link.company_rut,
        kind=SyncKind.LIVE, date_from=None, date_to=None,
        # Nothing more to wait for: live documents can be reviewed and confirmed any time.
        status=SyncStatus.IN_REVIEW, expected=None, received=0,
        created_at=datetime.now(UTC), confirmed_at=None, progress_at=None,
    )
    await uow.syncs.add_sync(sync)
    return sync, True  # its row is this transaction's insert: locked until it ends


def _first_of_each(proposals: list[Proposal], seen: set[str]) -> list[Proposal]:
    new = []
    for proposal in proposals:
        if proposal.source_key not in seen:
            seen.add(proposal.source_key)
            new.append(proposal)
    return new


async def _add(uow: UnitOfWork, sync: SyncSession, new: list[Proposal],
               notes: dict[tuple[str, str], str],
               books: Books | None = None) -> list[dict[str, Any]]:
    """Store the new proposals, checked against ``books`` (read here when not given, for
    their keys); the rows stored."""
    if books is None:
        books = await read_books(uow, sync.company_id, [p.source_key for p in new])
    context = Context(
        Stage.INTAKE, session_closed=sync.status in CLOSED, posted=books.posted,
        date_range=None if sync.date_from is None or sync.date_to is None
        else (sync.date_from, sync.date_to),
        closed_months=books.closed_months, chart=books.chart)
    now = datetime.now(UTC)
    rows = []
    proposed = await remembered.propose(uow, sync.company_id, new, books.chart)
    for (proposal, source, account_note), document_id in zip(proposed, new_ids(len(new)),
                                                             strict=True):
        decision = classify(_facts(proposal), context)
        rows.append(_row(document_id, proposal, sync, decision,
                         _note(proposal, sync.company_id, notes), now)
                    | {"account_source": source and source.value, "account_note": account_note})
    inserted = await uow.syncs.add_documents(rows)
    if len(inserted) < len(rows):  # a concurrent batch stored some of them first
        rows = [row for row in rows if row["id"] in inserted]
    if not rows:
        return []
    status = await uow.syncs.count_received(sync.id, len(rows))
    if status in CLOSED and sync.status not in CLOSED:
        # Confirmed while this batch was on its way: late arrivals, like any other.
        late = [change(row["id"], LATE.status, hold_reason=LATE.reason) for row in rows]
        await uow.syncs.set_documents(late)
        for row in rows:
            row.update(status=LATE.status.value, hold_reason=LATE.reason, hold_code=LATE.code)
    return rows


def _note(proposal: Proposal, company_id: str,
          counterparty_notes: dict[tuple[str, str], str]) -> str | None:
    """What the rules noted (an IVA posted as stated…) and what intake saw, together."""
    said = [proposal.entry.note if proposal.entry else None,
            counterparty_notes.get((company_id, proposal.source_key))]
    return "; ".join(note for note in said if note) or None


def _subject(proposal: Proposal) -> TaxDocument | PaymentRecorded:
    """The document or payment the proposal is for (its model requires one of them)."""
    subject = proposal.document or proposal.payment
    assert subject is not None
    return subject


def _dated(proposal: Proposal) -> date:
    """The document's issue date, or the payment's date (not asked with isinstance: a
    pydantic model's is ABCMeta's, a cost on every proposal of a batch)."""
    if proposal.document is not None:
        return proposal.document.issue_date
    assert proposal.payment is not None  # the model requires one of them
    return proposal.payment.paid_on


def _facts(proposal: Proposal) -> Document:
    entry = proposal.entry
    return Document(
        proposal.source_key,
        dated=_dated(proposal),
        entry=None if entry is None else Entry(entry.entry_date, entry.lines),
        hold_reason=proposal.hold_reason, hold_code=proposal.hold_code)


async def _record_counterparties(uow: UnitOfWork, groups: list[tuple[str, list[Proposal]]]
                                 ) -> dict[tuple[str, str], str]:
    """Record the batch's new auxiliares, company by company and RUT by RUT (the LOCK
    ORDER's second step, before any session); note (not hold) a RUT that comes under
    another name. The notes by (company id, source key)."""
    by_company: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(dict)
    for company_id, proposals in groups:
        parties = by_company[company_id]
        for proposal in proposals:
            party = _subject(proposal).counterparty
            if party.rut != FINAL_CONSUMER_RUT:  # boletas name the final consumer freely
                parties.setdefault(party.rut, []).append((proposal.source_key, party.name))
    notes = {}
    for company_id in sorted(by_company):
        parties = by_company[company_id]
        known = await uow.journal.counterparty_names(company_id, parties)
        await uow.journal.add_counterparties(
            company_id, {rut: named[0][1] for rut, named in parties.items() if rut not in known})
        for rut, named in parties.items():
            name = known.get(rut, named[0][1])
            for source_key, other in named:
                if other.strip().casefold() != name.strip().casefold():
                    notes[(company_id, source_key)] = (
                        f"RUT {rut} is already known as '{name}', but this names it '{other}': "
                        f"the auxiliary keeps '{name}'; check the RUT if they are not the same")
    return notes


def _row(document_id: str, proposal: Proposal, sync: SyncSession, decision: Decision,
         note: str | None, now: datetime) -> dict[str, Any]:
    document, payment = proposal.document, proposal.payment
    day = proposal.entry.entry_date if proposal.entry is not None else _dated(proposal)
    return {
        "id": document_id,
        "sync_id": sync.id,
        "company_id": sync.company_id,
        "source_key": proposal.source_key,
        "event_id": proposal.event_id,
        "issue_date": day,
        "issued_on": document.issue_date if document else None,
        "dte_type": document.dte_type if document else None,
        "folio": document.folio if document else None,
        "document": document.model_dump(mode="json") if document else None,
        "payment": payment.model_dump(mode="json") if payment else None,
        "status": decision.status.value,
        "hold_reason": decision.reason,
        "hold_code": decision.code,
        "note": note,
        "entry": proposal.entry.model_dump(mode="json") if proposal.entry else None,
        "entry_id": None,
        "created_at": now,
    }
