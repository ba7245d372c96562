"""Is the result right? Counted in accounting's database and through its API.

A bench whose books are wrong measures nothing, so any failure here stops the run
before a single figure is printed.
"""

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.seed import DATE_FROM, DATE_TO, Seeded
from deploy.local.client import FlowClient
from shared.db import create_engine


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    lines: int = 0
    debit: int = 0
    companies: int = 1
    accounts: int = 0  # accounts with movements, all companies together

    @property
    def ok(self) -> bool:
        return not self.problems


async def check_books(accounting_url: str, client: FlowClient, company_id: str,
                      seeded: Seeded, sync: dict) -> Verdict:
    """One company's year."""
    return await check_companies(accounting_url, client, [(company_id, seeded, sync)],
                                 DATE_FROM, DATE_TO)


async def check_companies(accounting_url: str, client: FlowClient,
                          companies: list[tuple[str, Seeded, dict]], date_from: str,
                          date_to: str) -> Verdict:
    """Each (company id, what was seeded for it, its sync as the API last showed it): the
    entries, lines and debits of all added up, the problems of each named by company when
    there are several."""
    verdict = Verdict(companies=len(companies))
    engine = create_engine(accounting_url)
    try:
        async with engine.connect() as conn:
            for company_id, seeded, sync in companies:
                found = await _check_company(conn, client, company_id, seeded, sync,
                                             date_from, date_to)
                verdict.entries += found.entries
                verdict.lines += found.lines
                verdict.debit += found.debit
                verdict.accounts += found.accounts
                verdict.problems += [problem if len(companies) == 1 else
                                     f"company {company_id}: {problem}"
                                     for problem in found.problems]
    finally:
        await engine.dispose()
    return verdict


async def _check_company(conn: AsyncConnection, client: FlowClient, company_id: str,
                         seeded: Seeded, sync: dict, date_from: str, date_to: str
                         ) -> Verdict:
    verdict = Verdict()
    problems = verdict.problems
    n = seeded.count
    if sync["posted"] != n or sync["held"] or sync["already_posted"]:
        problems.append(f"the sync posted {sync['posted']:,}, held {sync['held']:,} and found "
                        f"{sync['already_posted']:,} already posted; all {n:,} should be posted")

    async def scalar(sql: str) -> int:
        return int((await conn.execute(text(sql), {"c": company_id})).scalar_one() or 0)

    verdict.entries = await scalar(
        "SELECT count(*) FROM journal_entries WHERE company_id = :c")
    distinct = await scalar(
        "SELECT count(DISTINCT source_key) FROM journal_entries WHERE company_id = :c")
    verdict.lines = await scalar(
        "SELECT count(*) FROM journal_lines l JOIN journal_entries e "
        "ON e.id = l.entry_id WHERE e.company_id = :c")
    unbalanced = await scalar(
        "SELECT count(*) FROM (SELECT e.id FROM journal_entries e "
        "JOIN journal_lines l ON l.entry_id = e.id WHERE e.company_id = :c "
        "GROUP BY e.id, e.total HAVING sum(l.debit) <> sum(l.credit) "
        "OR sum(l.debit) <> e.total OR count(*) < 2) AS bad")
    numbers = await scalar(
        "SELECT count(DISTINCT number) FROM journal_entries WHERE company_id = :c")
    movements = (await conn.execute(text(
        "SELECT l.account_code, sum(l.debit), sum(l.credit) FROM journal_lines l "
        "JOIN journal_entries e ON e.id = l.entry_id WHERE e.company_id = :c "
        "GROUP BY l.account_code"), {"c": company_id})).all()
    await conn.rollback()  # no read transaction held open while the API reads (SQLite)
    if verdict.entries != n:
        problems.append(f"{verdict.entries:,} journal entries; {n:,} documents were seeded")
    if distinct != verdict.entries:
        problems.append(f"only {distinct:,} distinct source documents in "
                        f"{verdict.entries:,} entries: something was posted twice")
    if numbers != verdict.entries:
        problems.append(f"{numbers:,} distinct comprobante numbers for "
                        f"{verdict.entries:,} entries")
    if unbalanced:
        problems.append(f"{unbalanced:,} entries do not balance (or disagree with their total)")
    got = {code: (int(d), int(c)) for code, d, c in movements}
    want = {code: (d, c) for code, (d, c) in seeded.books.items()}
    for code in sorted(set(got) | set(want)):
        if got.get(code, (0, 0)) != want.get(code, (0, 0)):
            problems.append(f"account {code}: debit/credit {got.get(code, (0, 0))} in the books, "
                            f"{want.get(code, (0, 0))} from the seeded documents")
    verdict.debit = sum(d for d, _ in got.values())
    verdict.accounts = len(got)

    report = client.trial_balance(company_id, date_from, date_to)
    totals = report["totals"]
    if totals["debit"] != totals["credit"] or totals["debit_balance"] != totals["credit_balance"]:
        problems.append(f"the trial balance does not sum to zero: {totals}")
    api = {row["account_code"]: (row["debit"], row["credit"]) for row in report["rows"]}
    if api != {k: v for k, v in want.items() if v != (0, 0)}:
        problems.append("the trial balance from the API differs from the seeded documents' "
                        f"books: {api} vs {want}")
    return verdict
