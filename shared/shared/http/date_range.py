"""Date ranges of the public APIs: the ``from`` and ``to`` query parameters, inclusive.

One check for every route that takes them (a middleware, so no route can forget it):
``from`` must not be after ``to``, and the range may span at most 24 months. A date that
does not parse is left to the route's own validation. An open side (no ``from`` or no
``to``) is allowed; paginated lists and the reports' running balances rely on it.
"""

import calendar
from datetime import date
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.problems import problem_response

MAX_RANGE_MONTHS = 24


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def range_problem(date_from: date, date_to: date,
                  max_months: int = MAX_RANGE_MONTHS) -> tuple[str, str] | None:
    """(the field to blame, what to do) when the range is not acceptable."""
    if date_from > date_to:
        return "from", f"'from' ({date_from}) is after 'to' ({date_to}): swap them"
    if date_to >= add_months(date_from, max_months):
        last = add_months(date_from, max_months).toordinal() - 1
        return "to", (f"the range {date_from} to {date_to} is longer than {max_months} months: "
                      f"ask for at most {max_months} months at a time (e.g. to="
                      f"{date.fromordinal(last)}) and page through the rest")
    return None


def _one_date(values: list[str]) -> date | None:
    if len(values) != 1:
        return None
    try:
        return date.fromisoformat(values[0])
    except ValueError:
        return None


class DateRangeCheck:
    def __init__(self, app: ASGIApp, max_months: int = MAX_RANGE_MONTHS) -> None:
        self.app, self.max_months = app, max_months

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            query = parse_qs(scope["query_string"].decode("latin-1"))
            date_from = _one_date(query.get("from", []))
            date_to = _one_date(query.get("to", []))
            if date_from is not None and date_to is not None:
                problem = range_problem(date_from, date_to, self.max_months)
                if problem is not None:
                    field, message = problem
                    response = problem_response(
                        422, "Request is not valid", f"{field}: {message}",
                        type="/problems/validation-error", instance=scope["path"],
                        errors=[{"field": field, "message": message}])
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def install_date_range_check(app: FastAPI, max_months: int = MAX_RANGE_MONTHS) -> None:
    app.add_middleware(DateRangeCheck, max_months=max_months)
