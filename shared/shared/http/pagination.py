"""Offset/limit paging for list endpoints that return a bare JSON array.

Front-ends already read those arrays, so the shape stays: ``offset`` and ``limit`` are
query parameters (``limit`` capped), and the ``X-Total-Count`` header says how many there
are in all. The default limit is the maximum, so a caller that never pages still gets
everything a normal company has (a chart of accounts is a few hundred rows).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Response

MAX_PAGE_SIZE = 500
# Past this no list has rows; the cap keeps a huge offset from overflowing the database's
# integer (a 500 instead of a 422).
MAX_OFFSET = 100_000_000
TOTAL_HEADER = "X-Total-Count"

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int

    def of(self, items: Sequence[T], response: Response) -> list[T]:
        response.headers[TOTAL_HEADER] = str(len(items))
        return list(items[self.offset:self.offset + self.limit])


def page_params(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=(
        f"items to return, at most {MAX_PAGE_SIZE}; the X-Total-Count header has the total"
    ))] = MAX_PAGE_SIZE,
) -> Page:
    return Page(offset, limit)


PageQuery = Annotated[Page, Depends(page_params)]
