"""Import a file of SII documents: every document through the same rules and repository
as one recorded by hand, in batches, each batch one transaction.

The whole file is read first, once (a hostile or malformed file imports nothing), each
document checked as it is read and kept in a spool as the row it will be; then the rows
are stored in batches (a bulk load and one INSERT … SELECT each), so memory stays
bounded whatever its size. A folio already recorded is reported as a duplicate and left as it
is, so importing a file twice changes nothing. An RCV export is spooled key first and its
rows read whole only when the database does not hold them already (_key_first).
"""

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import BinaryIO, NamedTuple

from invoicing.adapters import sii
from invoicing.adapters.repositories import ImportedBatch, RecordedAmounts, import_row
from invoicing.adapters.sii.rcv_csv import KeyedReader
from invoicing.domain import documents as rules
from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.documents import issuer_when
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
from invoicing.service_layer.live import flows_live, stage_live
from invoicing.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.ids import new_ids as time_ordered_ids

Progress = Callable[[int, int], None]  # (documents done, documents in the file)


@dataclass(frozen=True)
class ImportOptions:
    batch_size: int = 5000
    max_items: int = 10_000  # items listed in the summary; the counts are always complete
    all_items: bool = False  # list created and duplicate documents too, not only rejected
    section: RcvSection | None = None  # an RCV compras file's section; from its header if None


class Prepared(NamedTuple):
    """A document of the file ready to be stored: what the summary says of it, and its row.
    Plain values only (the Location's too); prepare() hands it to the spool as a plain
    tuple (a named tuple pickles and unpickles through a Python call per row) and the
    batch is made Prepared again when it is stored."""

    line: int | None
    xml_path: str | None
    dte_type: int
    folio: int
    document_id: str
    stated: tuple[int, int, int, int]  # total, neto, exento, IVA
    pending: bool  # pending acceptance (the RCV's pendientes)
    row: tuple

    @property
    def location(self) -> Location:
        return Location(self.line, self.xml_path)


def prepare(company_rut: str, today: date, item: SourceDocument | Rejection,
            ids: Iterator[str] | None = None) -> tuple | ImportItem:
    """A file's document through the rules every document gets: ready to store (a
    Prepared as a plain tuple, which the spool pickles without a call per row), or
    rejected saying why."""
    try:
        if isinstance(item, Rejection):
            raise Rejected(item.reason)
        draft = draft_for(company_rut, item, today)
        rules.validate(draft)
    except (Rejected, InvalidDocument) as error:
        reason = error.reason if isinstance(error, Rejected) else error.detail
        return ImportItem(item.location, ItemStatus.REJECTED, item.dte_type, item.folio, reason)
    document_id = next(ids) if ids is not None else str(uuid.uuid4())
    return (item.location.line, item.location.xml_path, draft.dte_type, draft.folio,
            document_id, (draft.total, draft.net, draft.exempt, draft.vat),
            draft.status is rules.DocumentStatus.PENDING_ACCEPTANCE,
            import_row(document_id, company_rut, draft))


def new_ids(block: int = 4096) -> Iterator[str]:
    """Time-ordered ids (version 7, shared.ids), ``block`` at a time: a batch's rows land
    together at the end of the primary-key index instead of dirtying a page of it each (a
    random id's), which on PostgreSQL was also a page image in the WAL each after every
    checkpoint."""
    while True:
        yield from time_ordered_ids(block)


async def import_file(uow: UnitOfWorkFactory, company_rut: str, file: BinaryIO,
                      forced: ImportFormat | None = None, *,
                      options: ImportOptions = ImportOptions(),
                      progress: Progress | None = None) -> ImportSummary:
    async with uow() as unit:
        if await unit.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
        recorded = await unit.documents.directions_recorded(company_rut)
    # Parsing is CPU work: off the event loop, so the API keeps answering meanwhile. Each
    # document is checked and made a row as it is read, so the spool holds plain rows.
    prepared = partial(prepare, company_rut, date.today(), ids=new_ids())
    with await asyncio.to_thread(sii.parse, file, forced, batch_size=options.batch_size,
                                 section=options.section, prepare=prepared,
                                 keyed=True) as parsed:
        summary = ImportSummary(format=parsed.format)
        if progress:
            progress(0, parsed.count)
        keyed = parsed.keyed
        # With no document of the file's direction recorded when it starts (a first
        # import), no key can be found: each row is read whole at once. A document an
        # import running meanwhile records is still told by add_imported's unique folio.
        if keyed is not None and keyed.direction not in recorded:
            read = partial(_next_whole, parsed.batches(), keyed, prepared)
            keyed = None
        else:
            read = partial(next, parsed.batches(), None)
        # The next batch is read (and made rows) in a thread while this one is stored: the
        # database's work and ours overlap.
        ahead = asyncio.ensure_future(asyncio.to_thread(read))
        try:
            while spooled := await ahead:
                ahead = asyncio.ensure_future(asyncio.to_thread(read))
                try:
                    await _import_batch(uow, company_rut, spooled, summary, options, keyed,
                                        prepared)
                except Exception as error:
                    raise _interrupted(summary, parsed.count,
                                       _location(spooled[0])) from error
                if progress:
                    progress(summary.processed, parsed.count)
        finally:
            # The spool closes with parsed: the thread reading it must be done first.
            await asyncio.wait([ahead])
            if not ahead.cancelled():
                ahead.exception()  # retrieved: a failed read ahead is no news after a failure
    return summary


# A row of the file whose document is recorded with the same amounts, not listed.
DUPLICATE = object()


def _location(entry: object) -> Location:
    if isinstance(entry, ImportItem):
        return entry.location
    assert isinstance(entry, tuple)
    return Location(*entry[:2]) if len(entry) == len(Prepared._fields) else \
        Location(line=entry[0])


Prepare = Callable[[SourceDocument | Rejection], tuple | ImportItem]


async def _key_first(unit: UnitOfWork, company_rut: str, keyed: KeyedReader,
                     spooled: list, prepared: Prepare, options: ImportOptions) -> list:
    """A batch read key first (rcv_csv.KeyedReader): a row whose document is recorded
    with the same amounts is a duplicate without more ado, so a re-import does not read
    each row whole, check it, nor make it a row to store. Every other row (a new key, other
    amounts, a document pending acceptance, a key that cannot be read) is read whole and
    goes through the rules and add_imported as any document.

    A row recorded with the same amounts that is wrong in another field (a date, a name)
    is a duplicate too: its document is recorded with these amounts, and the file changes
    nothing of it."""
    direction = keyed.direction
    keys = [(issuer_when(company_rut, direction, key[2], key[3]), key[0], key[1])
            if type(entry) is tuple and (key := entry[1]) is not None else None
            for entry in spooled]
    asked = [key for key in keys if key is not None]
    found = iter(await unit.documents.recorded_by_key(company_rut, direction, asked))
    batch: list = []
    whole: list[int] = []
    for entry, key in zip(spooled, keys, strict=True):
        # One recorded answer (or None) per key asked.
        if key is not None and (recorded := next(found)) is not None and \
                not recorded.pending_acceptance and \
                entry[2] == (recorded.total, recorded.net, recorded.exempt, recorded.vat):
            batch.append(ImportItem(Location(line=entry[0]), ItemStatus.DUPLICATE, key[1],
                                    key[2], duplicate_reason(recorded.id), recorded.id)
                         if options.all_items else DUPLICATE)
        elif type(entry) is tuple:
            whole.append(len(batch))
            batch.append(entry)
        else:
            batch.append(entry)
    if whole:
        done = await asyncio.to_thread(
            _read_whole, keyed, prepared, [batch[i] for i in whole])
        for i, item in zip(whole, done, strict=True):
            batch[i] = item
    return batch


def _read_whole(keyed: KeyedReader, prepared: Prepare, entries: list) -> list:
    """Keyed entries read whole and through the rules: each Prepared, or rejected."""
    done = []
    for entry in entries:
        item = prepared(keyed.document(entry)) if type(entry) is tuple else entry
        done.append(Prepared._make(item) if type(item) is tuple else item)
    return done


def _next_whole(batches: Iterator[list], keyed: KeyedReader, prepared: Prepare
                ) -> list | None:
    """The next batch of a keyed spool, every entry read whole (none looked up)."""
    spooled = next(batches, None)
    return None if spooled is None else _read_whole(keyed, prepared, spooled)


async def _import_batch(uow: UnitOfWorkFactory, company_rut: str, spooled: list,
                        summary: ImportSummary, options: ImportOptions,
                        keyed: KeyedReader | None, prepared: Prepare) -> None:
    async with uow() as unit:
        if keyed is not None:
            batch = await _key_first(unit, company_rut, keyed, spooled, prepared, options)
        else:
            batch = [Prepared._make(item) if type(item) is tuple else item
                     for item in spooled]
        new = [item for item in batch if isinstance(item, Prepared)]
        stored = await unit.documents.add_imported([p.row for p in new],
                                                   all_recorded=options.all_items)
        created = [p.document_id for p in new if p.document_id in stored.created]
        if created and await flows_live(unit, company_rut):
            await stage_live(await unit.documents.by_ids(created), unit)
        accepted = (await _accept_pending(unit, new, stored)
                    if summary.format is ImportFormat.RCV_COMPRAS else {})
        await unit.commit()
    for item in batch:
        if item is DUPLICATE:
            summary.duplicates += 1
        elif isinstance(item, ImportItem):
            _count(summary, item, options)
        elif item.document_id in stored.created:
            if options.all_items:
                _count(summary, _created(item), options)
            elif item.pending:  # counted, not listed: no ImportItem for each new row
                summary.pending += 1
            else:
                summary.created += 1
        elif item.document_id in accepted:
            recorded_id, reason = accepted[item.document_id]
            _count(summary, ImportItem(item.location, ItemStatus.ACCEPTED, item.dte_type,
                                       item.folio, reason, recorded_id), options)
        elif (recorded := stored.recorded.get(item.document_id)) or options.all_items:
            _count(summary, _repeated(item, recorded), options)
        else:  # a plain duplicate, not listed: a re-import is mostly these
            summary.duplicates += 1


def _created(item: Prepared) -> ImportItem:
    if item.pending:
        return ImportItem(item.location, ItemStatus.PENDING, item.dte_type, item.folio,
                          PENDING_REASON, item.document_id)
    return ImportItem(item.location, ItemStatus.CREATED, item.dte_type, item.folio,
                      document_id=item.document_id)


async def _accept_pending(unit: UnitOfWork, new: list[Prepared], stored: ImportedBatch
                          ) -> dict[str, tuple[str, str]]:
    """A registro's document recorded before as pending acceptance (from the pendientes)
    is the same document, now accepted: it becomes a purchase of the books, and goes to
    accounting like a new one. Only the registro accepts (an RCV compras file whose rows
    are not pending: the other sections' are rejected); a DTE file of the same document
    is a duplicate. By the row's own id: the recorded id it keeps, and what changed."""
    candidates = [(recorded, p) for p in new if not p.pending
                  and (recorded := stored.recorded.get(p.document_id)) is not None
                  and recorded.pending_acceptance]
    if not candidates:
        return {}
    done = await unit.documents.accept_pending([(r.id, p.row) for r, p in candidates])
    await stage_live(done, unit)
    accepted_ids = {d.id for d in done}
    return {p.document_id: (recorded.id, accepted_reason(
                recorded.id, (recorded.total, recorded.net, recorded.exempt, recorded.vat),
                p.stated))
            for recorded, p in candidates if recorded.id in accepted_ids}


def _repeated(item: Prepared, recorded: RecordedAmounts | None) -> ImportItem:
    """A folio already recorded: a duplicate, or a conflict if its amounts differ. Only
    conflicts (and pending ones) come with their recorded document unless all items are
    listed."""
    if recorded is None:
        return ImportItem(item.location, ItemStatus.DUPLICATE, item.dte_type, item.folio,
                          duplicate_reason(None))
    amounts = (recorded.total, recorded.net, recorded.exempt, recorded.vat)
    if amounts != item.stated:
        return ImportItem(item.location, ItemStatus.CONFLICT, item.dte_type, item.folio,
                          conflict_reason(recorded.id, amounts, item.stated), recorded.id)
    return ImportItem(item.location, ItemStatus.DUPLICATE, item.dte_type, item.folio,
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
        _list(summary, item, options)


def _list(summary: ImportSummary, item: ImportItem, options: ImportOptions) -> None:
    if len(summary.items) < options.max_items:
        summary.items.append(item)
    else:
        summary.items_omitted += 1
