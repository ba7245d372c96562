"""Balances per account and per counterparty over a range, with the balance before it
(SQLAlchemy Core, on the caller's session): one pass over the company's lines up to the
range's end, each line counted either in the opening or in the range's sums."""

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.tables import accounts, counterparties, journal_entries, journal_lines
from accounting.domain.accounts import AccountType
from accounting.domain.trial_balance import CounterpartyMovement, Movement

_LINES = journal_lines.join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)


def _sums(date_from: date | None) -> tuple[Any, Any, Any, Any]:
    """opening (debit − credit before date_from), debit and credit from date_from on, and
    how many lines fall in the range (an account with an opening and no line still counts)."""
    debit, credit = journal_lines.c.debit, journal_lines.c.credit
    if date_from is None:
        return (literal(0), func.sum(debit), func.sum(credit), func.count())
    in_range = journal_entries.c.entry_date >= date_from
    return (func.sum(case((in_range, literal(0)), else_=debit - credit)),
            func.sum(case((in_range, debit), else_=literal(0))),
            func.sum(case((in_range, credit), else_=literal(0))),
            func.count(case((in_range, literal(1)))))


def _until(company_id: str, date_to: date | None, since: date | None = None) -> Any:
    condition = journal_entries.c.company_id == company_id
    if since is not None:
        condition = and_(condition, journal_entries.c.entry_date >= since)
    if date_to is not None:
        condition = and_(condition, journal_entries.c.entry_date <= date_to)
    return condition


class BalanceQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def account_balances(self, company_id: str, date_from: date | None,
                               date_to: date | None, *,
                               with_opening: bool = True) -> list[Movement]:
        """Per account with lines in the range or a balance before it, by code. Without
        ``with_opening`` only the range's lines are read (a fiscal year's own movements)."""
        opening, debit, credit, lines = _sums(date_from if with_opening else None)
        since = None if with_opening else date_from
        query = (
            select(journal_lines.c.account_code,
                   func.coalesce(accounts.c.name, journal_lines.c.account_code).label("name"),
                   accounts.c.type, opening.label("opening"), debit.label("debit"),
                   credit.label("credit"))
            .select_from(_LINES.outerjoin(
                accounts, and_(accounts.c.company_id == journal_entries.c.company_id,
                               accounts.c.code == journal_lines.c.account_code)))
            .where(_until(company_id, date_to, since))
            .group_by(journal_lines.c.account_code, accounts.c.name, accounts.c.type)
            .having((lines > 0) | (opening != 0))
            .order_by(journal_lines.c.account_code)
        )
        rows = (await self.session.execute(query)).all()
        return [Movement(r.account_code, r.name, int(r.debit), int(r.credit), int(r.opening),
                         AccountType(r.type) if r.type else None) for r in rows]

    async def counterparty_balances(self, company_id: str, code: str, date_from: date | None,
                                    date_to: date | None) -> list[CounterpartyMovement]:
        """Per RUT on one account (lines without a RUT together, rut None), by RUT."""
        opening, debit, credit, lines = _sums(date_from)
        query = (
            select(journal_lines.c.counterparty_rut.label("rut"), counterparties.c.name,
                   opening.label("opening"), debit.label("debit"), credit.label("credit"))
            .select_from(_LINES.outerjoin(
                counterparties,
                and_(counterparties.c.company_id == journal_entries.c.company_id,
                     counterparties.c.rut == journal_lines.c.counterparty_rut)))
            .where(_until(company_id, date_to), journal_lines.c.account_code == code)
            .group_by(journal_lines.c.counterparty_rut, counterparties.c.name)
            .having((lines > 0) | (opening != 0))
            .order_by(journal_lines.c.counterparty_rut)
        )
        rows = (await self.session.execute(query)).all()
        return [CounterpartyMovement(r.rut, r.name, int(r.debit), int(r.credit), int(r.opening))
                for r in rows]
