"""Accounting periods: calendar months a company can close so nothing posts into them."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

CLOSED_PERIOD = "closed_period"  # the hold code of documents waiting for a closed month


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month; ValueError if it is not one."""
    if not re.match(MONTH_PATTERN, month):
        raise ValueError(f"'{month}' is not a month: write it as YYYY-MM, e.g. 2026-10")
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def closed_reason(month: str) -> str:
    return (f"period {month} is closed: reopen it to post this (it becomes ready again when "
            "the period is reopened), or leave it waiting")


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Period:
    """A month a company closed once (a month never closed has no record: it is open)."""

    company_id: str
    month: str
    status: PeriodStatus
    closed_at: datetime | None
    reopened_at: datetime | None
