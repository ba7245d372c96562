"""Import a file of SII documents: every document through the same rules and repository
as one recorded by hand, in batches, each batch one transaction.

The whole file is read first, once (a hostile or malformed file imports nothing), its
documents kept in a spool; then they are imported in batches, so memory stays bounded
whatever its size. A folio already recorded is reported as a duplicate and left as it
is, so importing a file twice changes nothing.
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from invoicing.adapters import sii
from invoicing.domain import documents as rules
from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.errors import InvalidDocument, NotFound
from invoicing.domain.imports import (
    PENDING_REASON,
    ImportFormat,
    ImportInterrupted,
    ImportItem,
    ImportSummary,
    ItemStatus,
    Location,
    RcvSection,
    Rejected,
    Rejection,
    SourceDocument,
    accepted_reason,
    conflict_reason,
    draft_for,
    duplicate_reason,
)
from invoicing.service_layer.live import stage_live
from invoicing.service_layer.unit_of_work import UnitOfWorkFactory

Progress = Callable[[int, int], None]  # (documents done, documents in the file)


@dataclass(frozen=True)
class ImportOptions:
    batch_size: int = 1000
    max_items: int = 10_000  # items listed in the summary; the counts are always complete
    all_items: bool = False  # list created and duplicate documents too, not only rejected
    section: RcvSection | None = None  # an RCV compras file's section; from its header if None


async def import_file(uow: UnitOfWorkFactory, company_rut: str, file: BinaryIO,
                      forced: ImportFormat | None = None, *,
                      options: ImportOptions = ImportOptions(),
                      progress: Progress | None = None) -> ImportSummary:
    async with uow() as unit:
        if await unit.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
    # Parsing is CPU work: off the event loop, so the API keeps answering meanwhile.
    with await asyncio.to_thread(sii.parse, file, forced, batch_size=options.batch_size,
                                 section=options.section) as parsed:
        summary = ImportSummary(format=parsed.format)
        if progress:
            progress(0, parsed.count)
        batches = parsed.batches()
        while batch := await asyncio.to_thread(next, batches, None):
            try:
                await _import_batch(uow, company_rut, batch, summary, options)
            except Exception as error:
                raise _interrupted(summary, parsed.count, batch[0].location) from error
            if progress:
                progress(summary.processed, parsed.count)
    return summary


async def _import_batch(uow: UnitOfWorkFactory, company_rut: str,
                        batch: list[SourceDocument | Rejection], summary: ImportSummary,
                        options: ImportOptions) -> None:
    outcomes: list[ImportItem | rules.Document] = []
    for item in batch:
        try:
            if isinstance(item, Rejection):
                raise Rejected(item.reason)
            draft = draft_for(company_rut, item)
            rules.validate(draft)
            outcomes.append(rules.new_document(str(uuid.uuid4()), company_rut, draft))
        except (Rejected, InvalidDocument) as error:
            reason = error.reason if isinstance(error, Rejected) else error.detail
            outcomes.append(ImportItem(item.location, ItemStatus.REJECTED, item.dte_type,
                                       item.folio, reason))
    new = [o for o in outcomes if isinstance(o, rules.Document)]
    async with uow() as unit:
        inserted = await unit.documents.add_new(new)
        await stage_live([d for d in new if d.id in inserted], unit)
        # A folio already recorded: a duplicate, or a conflict if its amounts differ.
        existing = await unit.documents.recorded_by_folio(
            company_rut, [_key(d) for d in new if d.id not in inserted])
        accepted = (await _accept_pending(unit, new, inserted, existing)
                    if summary.format is ImportFormat.RCV_COMPRAS else {})
        await unit.commit()
    for item, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, rules.Document):
            if outcome.id in inserted:
                outcome = _created(item, outcome)
            elif _key(outcome) in accepted:
                recorded_id, reason = accepted.pop(_key(outcome))
                outcome = ImportItem(item.location, ItemStatus.ACCEPTED, outcome.dte_type,
                                     outcome.folio, reason, recorded_id)
            else:
                outcome = _repeated(item, outcome, existing.get(_key(outcome)))
        _count(summary, outcome, options)


def _created(item: SourceDocument, document: rules.Document) -> ImportItem:
    if document.pending_acceptance:
        return ImportItem(item.location, ItemStatus.PENDING, document.dte_type,
                          document.folio, PENDING_REASON, document.id)
    return ImportItem(item.location, ItemStatus.CREATED, document.dte_type, document.folio,
                      document_id=document.id)


async def _accept_pending(unit, new: list[rules.Document], inserted: set[str],  # noqa: ANN001
                          existing: dict) -> dict[tuple, tuple[str, str]]:
    """A registro's document recorded before as pending acceptance (from the pendientes)
    is the same document, now accepted: it becomes a purchase of the books, and goes to
    accounting like a new one. Only the registro accepts (an RCV compras file whose rows
    are not pending: the other sections' are rejected); a DTE file of the same document
    is a duplicate. By document key: the id it keeps, and what changed."""
    candidates = [(existing[_key(d)], d) for d in new if d.id not in inserted
                  and not d.pending_acceptance and _key(d) in existing
                  and existing[_key(d)].pending_acceptance]
    if not candidates:
        return {}
    done = await unit.documents.accept_pending([(r.id, d) for r, d in candidates])
    await stage_live(done, unit)
    accepted_ids = {d.id for d in done}
    return {_key(document): (recorded.id, accepted_reason(
                recorded.id, (recorded.total, recorded.net, recorded.exempt, recorded.vat),
                (document.total, document.net, document.exempt, document.vat)))
            for recorded, document in candidates if recorded.id in accepted_ids}


def _repeated(item: SourceDocument, document: rules.Document, recorded) -> ImportItem:  # noqa: ANN001
    stated = (document.total, document.net, document.exempt, document.vat)
    if recorded is None:  # recorded by a concurrent import of the same file meanwhile
        return ImportItem(item.location, ItemStatus.DUPLICATE, document.dte_type,
                          document.folio, duplicate_reason(None))
    amounts = (recorded.total, recorded.net, recorded.exempt, recorded.vat)
    if amounts != stated:
        return ImportItem(item.location, ItemStatus.CONFLICT, document.dte_type,
                          document.folio, conflict_reason(recorded.id, amounts, stated),
                          recorded.id)
    return ImportItem(item.location, ItemStatus.DUPLICATE, document.dte_type, document.folio,
                      duplicate_reason(recorded.id, recorded.pending_acceptance), recorded.id)


def _interrupted(summary: ImportSummary, count: int, at: Location) -> ImportInterrupted:
    """Each batch commits alone: say what is recorded, so nothing is stored unreported."""
    return ImportInterrupted(
        f"The import stopped at {at} of {count} documents: the database failed. The "
        f"{summary.processed} documents before it are done ({summary.created} created, "
        f"{summary.duplicates} duplicates, {summary.rejected} rejected); nothing from {at} "
        "on was recorded. Import the same file again once the service is back: what is "
        "already recorded is reported as a duplicate and left as it is.",
        created=summary.created, duplicates=summary.duplicates, rejected=summary.rejected,
        documents=count,
    )


def _key(document: rules.Document) -> tuple[str, str, int, int]:
    return (str(document.direction), document.issuer_rut, document.dte_type, document.folio)


def _count(summary: ImportSummary, item: ImportItem, options: ImportOptions) -> None:
    if item.status is ItemStatus.CREATED:
        summary.created += 1
    elif item.status is ItemStatus.PENDING:
        summary.pending += 1
    elif item.status is ItemStatus.ACCEPTED:
        summary.accepted += 1
    elif item.status is ItemStatus.DUPLICATE:
        summary.duplicates += 1
    elif item.status is ItemStatus.CONFLICT:
        summary.conflicts += 1
    else:
        summary.rejected += 1
    if item.status in (ItemStatus.REJECTED, ItemStatus.CONFLICT) or options.all_items:
        if len(summary.items) < options.max_items:
            summary.items.append(item)
        else:
            summary.items_omitted += 1
