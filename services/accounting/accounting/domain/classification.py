"""One decision about a document's status: where a document (or payment) of a sync session
stands, on intake, when a range sync's payments are reviewed, and again at posting.

The rules are one ordered table (``RULES``): the first that holds decides. Each stage
gives ``classify`` what it knows (``Context``); a check whose facts a stage does not have
(``None``) does not apply there: intake has the session's range and no settled documents
to look for, review has only the documents a payment settles, posting has no range (what
is outside it was held at intake and is never posted).
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from accounting.domain.accounts import Account
from accounting.domain.journal import Line, hold_reason
from accounting.domain.payments import (
    AWAITING_DOCUMENT,
    SyncPayment,
    not_in_accounting,
    not_posted,
)
from accounting.domain.periods import CLOSED_PERIOD, closed_reason, month_of
from accounting.domain.syncs import DocumentStatus

LATE_ARRIVAL = ("it arrived after the sync session was confirmed: synchronise its date range "
                "again to review and post it")


class Stage(StrEnum):
    """Where the decision is taken: it changes only how a waiting payment is explained."""

    INTAKE = "intake"
    REVIEW = "review"  # a range sync is complete: its payments against its documents
    POSTING = "posting"


class StoredLine(NamedTuple):
    """A line of an entry as stored at intake (a tuple: a confirm reads thousands)."""

    account_code: str
    role: str
    debit: int
    credit: int


@dataclass(frozen=True, slots=True)
class Entry:
    """The proposed entry's facts the rules look at."""

    day: date
    lines: Sequence[Line]


@dataclass(frozen=True, slots=True)
class Document:
    """A document or payment of a session, as the rules see it."""

    source_key: str | None = None  # None where the stage does not check the books
    # The document's issue date or the payment's date: what a range holds. None where the
    # stage does not check the range.
    dated: date | None = None
    entry: Entry | None = None  # None: the worker proposed none (it said why: hold_reason)
    hold_reason: str | None = None  # the worker's own hold (e.g. nothing_to_post)
    hold_code: str | None = None
    settles: SyncPayment | None = None  # a payment: the documents it settles


@dataclass(frozen=True, slots=True)
class Context:
    """What the stage knows. The defaults check nothing."""

    stage: Stage
    session_closed: bool = False  # reviewed already: anything arriving now is late
    posted: Collection[str] = frozenset()  # keys the books hold an active entry for
    date_range: tuple[date, date] | None = None  # a range session's dates
    # Keys of the documents a payment may settle that accounting has (None: payments are
    # not checked, as live ones are not: they post as they come).
    settled: Collection[str] | None = None
    closed_months: Collection[str] = frozenset()
    chart: Mapping[str, Account] | None = None  # None: entries are not checked
    # The rules that can hold in this context, in RULES' order: a page of a confirm asks
    # them of thousands of documents, and most contexts rule most of them out at once.
    rules: tuple["Rule", ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(
            rule for rule, applies in _APPLIES.items() if applies(self)))


@dataclass(frozen=True, slots=True)
class Decision:
    status: DocumentStatus
    reason: str | None = None
    code: str | None = None

    @property
    def postable(self) -> bool:
        return self.status == DocumentStatus.READY


READY = Decision(DocumentStatus.READY)
ALREADY_POSTED = Decision(DocumentStatus.ALREADY_POSTED)
LATE = Decision(DocumentStatus.HELD, LATE_ARRIVAL)

Rule = Callable[[Document, Context], Decision | None]


def _late(document: Document, context: Context) -> Decision | None:
    return LATE if context.session_closed else None


def _already_posted(document: Document, context: Context) -> Decision | None:
    if document.source_key is None or document.source_key not in context.posted:
        return None
    return ALREADY_POSTED


def _held_by_worker(document: Document, context: Context) -> Decision | None:
    if document.hold_reason is None:
        return None
    return Decision(DocumentStatus.HELD, document.hold_reason, document.hold_code)


def _outside_range(document: Document, context: Context) -> Decision | None:
    if context.date_range is None or document.dated is None:
        return None
    first, last = context.date_range
    if first <= document.dated <= last:
        return None
    return Decision(DocumentStatus.HELD,
                    f"it is dated {document.dated}, outside the session's range {first} to "
                    f"{last}: synchronise a range that holds that date to review it")


def _awaiting_document(document: Document, context: Context) -> Decision | None:
    if context.settled is None or document.settles is None:
        return None
    missing = document.settles.missing(context.settled)
    if not missing:
        return None
    # In review the document is neither in the session nor in the books; at posting it is
    # in the session but did not post.
    why = not_posted if context.stage == Stage.POSTING else not_in_accounting
    return Decision(DocumentStatus.HELD, why(missing), AWAITING_DOCUMENT)


def _closed_period(document: Document, context: Context) -> Decision | None:
    if document.entry is None or (month := month_of(document.entry.day)) not in (
            context.closed_months):
        return None
    return Decision(DocumentStatus.HELD, closed_reason(month), CLOSED_PERIOD)


def _entry_problem(document: Document, context: Context) -> Decision | None:
    if document.entry is None or context.chart is None:
        return None
    reason = _why_not(document.entry.lines, context.chart)
    return None if reason is None else Decision(DocumentStatus.HELD, reason)


def _why_not(lines: Sequence[Line], chart: Mapping[str, Account]) -> str | None:
    # The common case (balanced, every account usable) is decided without building the
    # words: a page of a confirm is thousands of entries and almost all of them post.
    if sum(line.debit for line in lines) == sum(line.credit for line in lines) and all(
            (account := chart.get(line.account_code)) is not None and account.postable
            and account.active for line in lines):
        return None
    return hold_reason(lines, chart)


# In this order: the first that holds decides; none holding, the document is ready. Each
# with the facts of the context it needs to hold at all.
_APPLIES: dict[Rule, Callable[[Context], bool]] = {
    _late: lambda context: context.session_closed,
    _already_posted: lambda context: bool(context.posted),
    _held_by_worker: lambda context: True,
    _outside_range: lambda context: context.date_range is not None,
    _awaiting_document: lambda context: context.settled is not None,
    _closed_period: lambda context: bool(context.closed_months),
    _entry_problem: lambda context: context.chart is not None,
}
RULES: tuple[Rule, ...] = tuple(_APPLIES)


def classify(document: Document, context: Context) -> Decision:
    for rule in context.rules:
        if (decision := rule(document, context)) is not None:
            return decision
    return READY
