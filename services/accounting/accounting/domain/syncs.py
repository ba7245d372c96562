"""Sync sessions: a date range of documents received, reviewed and confirmed."""

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

MAX_RANGE_MONTHS = 24


class SyncKind(StrEnum):
    RANGE = "range"  # a date range the user synchronised
    LIVE = "live"  # documents and payments that arrive by themselves


class SyncStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVING = "receiving"
    IN_REVIEW = "in_review"
    # Confirm accepted and posting in pages; "confirmed" once every page is done. A confirm
    # that stopped half way stays here (and is resumed) until it finishes.
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    REFUSED = "refused"  # invoicing sends this accounting company no documents (its detail)
    # Shown, never stored: an open session that has made no progress for too long.
    STALLED = "stalled"


# Documents still on their way from invoicing: a second sync of the same dates would
# export and deliver them again.
DELIVERING = (SyncStatus.REQUESTED, SyncStatus.RECEIVING)
# Nothing in the session changes any more (reviewed, or refused by invoicing), and late
# arrivals are held.
CLOSED = (SyncStatus.CONFIRMING, SyncStatus.CONFIRMED, SyncStatus.REFUSED)
# What can stall (and be resumed).
RESUMABLE = (*DELIVERING, SyncStatus.CONFIRMING)


# The hold code of a document that by rule posts nothing (a guía, a note that only corrects
# text): it waits in review with its reason but is no difference in the cuadratura.
NOTHING_TO_POST = "nothing_to_post"


class DocumentStatus(StrEnum):
    READY = "ready"
    HELD = "held"
    ALREADY_POSTED = "already_posted"
    POSTED = "posted"


@dataclass(frozen=True)
class SyncDocument:
    """A document (or a payment) a session received, with the entry proposed for it. The
    document, payment and entry are kept as the JSON they arrived and were proposed as:
    a confirm reads thousands of them and builds domain objects only for the rare one
    with a problem."""

    id: str
    sync_id: str
    company_id: str
    source_key: str
    event_id: str
    issue_date: date  # the entry's date (a payment's paid_on)
    issued_on: date | None  # the tax document's own date
    dte_type: int | None  # None for payments
    folio: int | None
    document: dict[str, Any] | None  # a TaxDocument, or None for a payment
    payment: dict[str, Any] | None  # a PaymentRecorded
    status: DocumentStatus
    hold_reason: str | None
    hold_code: str | None
    note: str | None
    entry: dict[str, Any] | None
    entry_id: str | None
    created_at: datetime
    account_source: str | None
    account_note: str | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> "SyncDocument":
        """From its stored columns (a row read, or one about to be stored)."""
        return cls(**{**row, "status": DocumentStatus(row["status"])})


class PostingDocument(Protocol):
    """What posting reads of a document: a SyncDocument (auto-post, a reopened month), or
    a row of a confirm's page read as it is (a year of them: no record is built for each)."""

    @property
    def id(self) -> str: ...
    @property
    def source_key(self) -> str: ...
    @property
    def dte_type(self) -> int | None: ...  # None: a payment
    @property
    def payment(self) -> Mapping[str, Any] | None: ...
    @property
    def entry(self) -> Mapping[str, Any] | None: ...
    @property
    def account_source(self) -> str | None: ...


class PostingState(Protocol):
    """A document as it is now, read under the company's lock (posting_state)."""

    @property
    def status(self) -> str: ...
    @property
    def hold_code(self) -> str | None: ...


@dataclass(frozen=True)
class SyncSession:
    """A range of a company's documents (or, live, those that arrive by themselves) being
    received, reviewed and confirmed. The manifest itself is read only by the
    reconciliation; a session only says whether it has one."""

    id: str
    company_id: str
    company_rut: str  # the invoicing company
    kind: SyncKind
    date_from: date | None  # None for a live session
    date_to: date | None
    status: SyncStatus
    expected: int | None  # None until invoicing says how many it sends
    received: int
    created_at: datetime
    confirmed_at: datetime | None
    progress_at: datetime | None
    detail: str | None = None  # why invoicing refused it (status refused)
    has_manifest: bool = False

    @property
    def last_progress(self) -> datetime:
        return self.progress_at or self.created_at


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def range_problem(date_from: date, date_to: date) -> str | None:
    if date_from > date_to:
        return f"'from' ({date_from}) is after 'to' ({date_to}): swap them"
    if date_to >= add_months(date_from, MAX_RANGE_MONTHS):
        return (f"the range {date_from} to {date_to} is longer than {MAX_RANGE_MONTHS} months: "
                "synchronise it in several shorter ranges")
    return None


class SessionFact(StrEnum):
    """What ``PROGRESS`` asks of a session (the repository asks the same in SQL)."""

    LIVE = "live"  # not a range: always in review
    CLOSED = "closed"  # status in CLOSED
    ALL_RECEIVED = "all_received"  # expected is known and received has reached it
    SOME_RECEIVED = "some_received"  # received > 0


# Where a session goes as documents arrive: the first fact that holds decides (None: it
# stays as it is, as when none holds). One table for the two places that move a session
# on: ``progress`` here, and the one UPDATE that counts a batch in (count_received).
PROGRESS: tuple[tuple[SessionFact, SyncStatus | None], ...] = (
    (SessionFact.LIVE, None),
    (SessionFact.CLOSED, None),
    (SessionFact.ALL_RECEIVED, SyncStatus.IN_REVIEW),
    (SessionFact.SOME_RECEIVED, SyncStatus.RECEIVING),
)


def progress(status: SyncStatus, expected: int | None, received: int,
             kind: SyncKind = SyncKind.RANGE) -> SyncStatus:
    """Where a session stands once ``received`` of ``expected`` documents arrived."""
    holds = {
        SessionFact.LIVE: kind != SyncKind.RANGE,
        SessionFact.CLOSED: status in CLOSED,
        SessionFact.ALL_RECEIVED: expected is not None and received >= expected,
        SessionFact.SOME_RECEIVED: received > 0,
    }
    for fact, then in PROGRESS:
        if holds[fact]:
            return status if then is None else then
    return status


def not_ready_to_confirm(status: SyncStatus, expected: int | None, received: int) -> str:
    if expected is None:
        return (f"still receiving documents: {received} arrived and invoicing has not said "
                "yet how many to expect; confirm when the session is in review")
    return (f"still receiving documents: {received} of {expected} arrived; confirm when the "
            "session is in review")


def stalled_reason(status: SyncStatus, expected: int | None, received: int, ready: int,
                   last_progress: datetime, now: datetime, stall_after: timedelta,
                   ) -> str | None:
    """Why an open session cannot progress, once it made no progress for ``stall_after``
    (None while it still may, or when it is not waiting for anything)."""
    if status not in RESUMABLE or now - last_progress < stall_after:
        return None
    since = f"since {last_progress.isoformat(timespec='seconds')}"
    if status == SyncStatus.CONFIRMING:
        return (f"the confirm stopped before it finished: {ready} documents are still ready "
                f"to post and none was posted {since}. Resume it (or confirm again): it posts "
                "what is left, and nothing twice")
    if received == 0:
        return (f"no document has arrived {since}, when the sync was requested: invoicing "
                "has not exported the range (it may be down, or its database unreachable). "
                "Resume it to ask invoicing again; nothing is sent twice")
    if expected is None:
        return (f"{received} documents arrived, none {since}, and invoicing has not said how "
                "many to expect: its export stopped or its last message was lost. Resume it "
                "to ask invoicing to go on from where it stopped")
    return (f"{received} of {expected} documents arrived, none {since}: the rest did not "
            "get through (look for them in the dead-letter queues: GET /v1/dead-letters on "
            "the integration worker and on accounting, and replay them once their problem "
            "is fixed)")
