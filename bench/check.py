"""Is the result right? Counted in accounting's database and through its API.

A bench whose books are wrong measures nothing, so any failure here stops the run
before a single figure is printed.
"""

from dataclasses import dataclass, field

from sqlalchemy import text

from bench.seed import DATE_FROM, DATE_TO, Seeded
from deploy.local.client import FlowClient
from shared.db import create_engine


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    lines: int = 0
    debit: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


async def check_books(accounting_url: str, client: FlowClient, company_id: str,
                      seeded: Seeded, sync: dict) -> Verdict:
    verdict = Verdict()
    problems = verdict.problems
    n = seeded.count
    if sync["posted"] != n or sync["held"] or sync["already_posted"]:
        problems.append(f"the sync posted {sync['posted']:,}, held {sync['held']:,} and found "
                        f"{sync['already_posted']:,} already posted; all {n:,} should be posted")
    engine = create_engine(accounting_url)
    try:
        async with engine.connect() as conn:
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
    finally:
        await engine.dispose()
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

    report = client.trial_balance(company_id, DATE_FROM, DATE_TO)
    totals = report["totals"]
    if totals["debit"] != totals["credit"] or totals["debit_balance"] != totals["credit_balance"]:
        problems.append(f"the trial balance does not sum to zero: {totals}")
    api = {row["account_code"]: (row["debit"], row["credit"]) for row in report["rows"]}
    if api != {k: v for k, v in want.items() if v != (0, 0)}:
        problems.append("the trial balance from the API differs from the seeded documents' "
                        f"books: {api} vs {want}")
    return verdict
