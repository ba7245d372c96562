"""Sync sessions: a date range of documents received, reviewed and confirmed."""

import calendar
from datetime import date
from enum import StrEnum

MAX_RANGE_MONTHS = 24


class SyncKind(StrEnum):
    RANGE = "range"  # a date range the user synchronised
    LIVE = "live"  # documents and payments that arrive by themselves


class SyncStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVING = "receiving"
    IN_REVIEW = "in_review"
    CONFIRMED = "confirmed"
    REFUSED = "refused"  # invoicing sends this accounting company no documents (its detail)


# Nothing moves a session out of these.
FINAL = frozenset({SyncStatus.CONFIRMED, SyncStatus.REFUSED})


# The hold code of a document that by rule posts nothing (a guía, a note that only corrects
# text): it waits in review with its reason but is no difference in the cuadratura.
NOTHING_TO_POST = "nothing_to_post"


class DocumentStatus(StrEnum):
    READY = "ready"
    HELD = "held"
    ALREADY_POSTED = "already_posted"
    POSTED = "posted"


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


def progress(status: SyncStatus, expected: int | None, received: int) -> SyncStatus:
    """Where a session stands once ``received`` of ``expected`` documents arrived."""
    if status in FINAL:
        return status
    if expected is not None and received >= expected:
        return SyncStatus.IN_REVIEW
    if received > 0:
        return SyncStatus.RECEIVING
    return status


def not_ready_to_confirm(status: SyncStatus, expected: int | None, received: int) -> str:
    if expected is None:
        return (f"still receiving documents: {received} arrived and invoicing has not said "
                "yet how many to expect; confirm when the session is in review")
    return (f"still receiving documents: {received} of {expected} arrived; confirm when the "
            "session is in review")
