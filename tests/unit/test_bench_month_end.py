"""The month-end benchmark's pure parts: its size, percentiles, polling and CLI."""

import math

import pytest

from bench.__main__ import parse_args
from bench.flow import is_settled
from bench.month_end import (
    CompanySync,
    MonthEnd,
    Size,
    confirmed,
    parse_size,
)
from bench.procs import postgres_database
from bench.stats import percentile


@pytest.mark.parametrize("text", ["200x300", "200×300", " 200 X 300 ", "200*300"])
def test_a_size_is_companies_by_documents(text):
    size = parse_size(text)
    assert (size.companies, size.docs, size.total) == (200, 300, 60_000)
    assert str(size) == "200×300"


@pytest.mark.parametrize("text", ["200", "200x", "x300", "0x300", "200x0", "2.5x3", "-1x3",
                                  "200x300x2"])
def test_anything_else_is_refused_with_the_expected_form(text):
    with pytest.raises(ValueError, match="COMPANIES×DOCS"):
        parse_size(text)


def test_percentiles_are_nearest_rank_over_the_sorted_values():
    values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
    assert percentile(values, 0) == 1
    assert percentile(values, 50) == 51  # rank round(0.5 × 99) = 50 (of 0 … 99)
    assert percentile(values, 95) == 95  # rank round(0.95 × 99) = 94
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_a_confirm_that_posted_everything_settles_the_company_without_another_poll():
    in_review = {"id": "s", "status": "in_review", "expected": 300, "received": 300,
                 "ready": 300, "posted": 0, "held": 0, "already_posted": 0}
    assert not is_settled(in_review)
    summary = {"id": "s", "status": "confirmed", "posted": 298, "held": 2, "already_posted": 0}
    assert is_settled(confirmed(in_review, summary))
    assert not is_settled(confirmed(in_review, {**summary, "posted": 297}))


def test_the_figures_are_per_company_from_its_own_sync_start():
    companies = [CompanySync("1-9", "A", started_at=0.0, in_review_at=2.0, posted_at=4.0),
                 CompanySync("2-7", "B", started_at=1.0, in_review_at=4.0, posted_at=9.0),
                 CompanySync("3-5", "C", started_at=1.5, in_review_at=3.5, posted_at=5.5)]
    month = MonthEnd(Size(3, 100), clients=2, companies=companies, seconds=10.0)
    assert month.rate == 30.0  # 300 documents in 10 s
    assert [month.company_seconds(p) for p in (0, 50, 100)] == [4.0, 4.0, 8.0]
    assert [month.review_seconds(p) for p in (0, 100)] == [2.0, 3.0]


def test_the_month_end_is_on_by_default_and_can_be_sized_or_left_out(monkeypatch):
    monkeypatch.delenv("MONTH_END", raising=False)
    monkeypatch.delenv("MONTH_END_CLIENTS", raising=False)
    assert parse_args([]).month_end == Size(200, 300)
    assert parse_args([]).month_end_clients == 20
    args = parse_args(["--month-end", "20x50", "--month-end-clients", "5"])
    assert (args.month_end, args.month_end_clients) == (Size(20, 50), 5)
    assert parse_args(["--month-end", "0"]).month_end is None
    assert parse_args(["--skip-month-end"]).month_end is None
    monkeypatch.setenv("MONTH_END", "3x4")
    assert parse_args([]).month_end == Size(3, 4)
    with pytest.raises(SystemExit):
        parse_args(["--month-end", "lots"])


@pytest.mark.parametrize(("title", "database"), [
    ("postgres: 15/main: postgres bench_1a2b_month_accounting 127.0.0.1(53976) idle",
     "bench_1a2b_month_accounting"),
    ("postgres: alice books [local] SELECT", "books"),  # a client on the socket
    ("postgres: bob books 10.0.0.7(40112) idle in transaction", "books"),
    ("postgres: 15/main: checkpointer", None),
    ("postgres: 15/main: logical replication launcher", None),
    ("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main", None),
])
def test_a_backend_is_told_by_its_database_and_the_servers_own_processes_by_none(
        title, database):
    assert postgres_database(title) == database
