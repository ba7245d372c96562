"""Contracts, their companies (with each company's chart of accounts), the integration
requests that ask for a company's books and the links that answer them (SQLAlchemy Core)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping

from accounting.adapters.repository import SqlRepository, now
from accounting.adapters.tables import (
    accounts,
    companies,
    contracts,
    integration_links,
    integration_requests,
)
from accounting.domain.accounts import Account, AccountType
from accounting.domain.companies import Company, CompanyStatus, Contract
from accounting.domain.integrations import IntegrationLink, IntegrationRequest, RequestStatus


class CompanyRepository(SqlRepository):
    async def add_contract(self, rut: str, name: str) -> None:
        await self.session.execute(insert(contracts).values(rut=rut, name=name, created_at=now()))

    async def get_contract(self, rut: str) -> Contract | None:
        row = await self._one(select(contracts).where(contracts.c.rut == rut))
        return None if row is None else Contract(**row)

    async def add_company(self, company: dict[str, Any], chart: Iterable[Account]) -> None:
        await self.session.execute(insert(companies).values(**company, created_at=now()))
        await self.session.execute(
            insert(accounts),
            [_account_row(company["id"], account) for account in chart],
        )

    async def get_company(self, company_id: str, *, lock: bool = False) -> Company | None:
        """``lock``: the company's row lock (see LOCK ORDER), FOR NO KEY UPDATE: holders
        still wait for each other, but not for the key-share lock a foreign key takes on the
        company's row. A live batch inserting the company's new counterparties holds that
        lock until it commits, while it waits for the live session another batch holds;
        with FOR UPDATE, that batch posting (which locks the company) waited for the first:
        a deadlock, 4-8 times in 30 s of live documents at 200/s, each failing a batch after
        PostgreSQL's one-second deadlock timeout. No use case changes a company's key."""
        query = select(companies).where(companies.c.id == company_id)
        row = await self._one(self._lock(query, key_share=True) if lock else query)
        return None if row is None else company_of(row)

    async def active_companies_with_rut(self, contract_rut: str, rut: str) -> list[Company]:
        return [company_of(row) for row in await self._all(
            select(companies)
            .where(companies.c.contract_rut == contract_rut, companies.c.rut == rut,
                   companies.c.status == CompanyStatus.ACTIVE)
            .order_by(companies.c.created_at, companies.c.id)
        )]

    async def set_company_status(self, company_id: str, status: CompanyStatus) -> None:
        await self.session.execute(
            update(companies).where(companies.c.id == company_id).values(status=status)
        )

    async def list_accounts(self, company_id: str) -> list[Account]:
        rows = await self._all(
            select(accounts).where(accounts.c.company_id == company_id).order_by(accounts.c.code)
        )
        return [
            Account(r.code, r.name, AccountType(r.type), postable=r.postable,
                    auxiliary=r.auxiliary, active=r.active)
            for r in rows
        ]

    async def chart(self, company_id: str) -> dict[str, Account]:
        return {a.code: a for a in await self.list_accounts(company_id)}

    async def add_account(self, company_id: str, account: Account) -> None:
        await self.session.execute(insert(accounts).values(**_account_row(company_id, account)))

    async def add_request(self, row: dict[str, Any]) -> bool:
        if await self.get_request(row["id"]) is not None:
            return False
        await self.session.execute(insert(integration_requests).values(**row))
        return True

    async def get_request(self, request_id: str, *,
                          lock: bool = False) -> IntegrationRequest | None:
        query = select(integration_requests).where(integration_requests.c.id == request_id)
        row = await self._one(self._lock(query) if lock else query)
        return None if row is None else _request(row)

    async def list_requests(self, contract_rut: str, status: str | None = None,
                            *, lock: bool = False) -> list[IntegrationRequest]:
        query = (select(integration_requests)
                 .where(integration_requests.c.contract_rut == contract_rut)
                 .order_by(integration_requests.c.requested_at, integration_requests.c.id))
        if status:
            query = query.where(integration_requests.c.status == status)
        return [_request(row) for row in await self._all(self._lock(query) if lock else query)]

    async def latest_request(self, contract_rut: str,
                             company_rut: str) -> IntegrationRequest | None:
        row = await self._one(
            select(integration_requests)
            .where(integration_requests.c.contract_rut == contract_rut,
                   integration_requests.c.company_rut == company_rut)
            .order_by(integration_requests.c.requested_at.desc(),
                      integration_requests.c.id.desc())
            .limit(1)
        )
        return None if row is None else _request(row)

    async def requests_of_company(self, company_rut: str, *,
                                  lock: bool = False) -> list[IntegrationRequest]:
        """An invoicing company's requests in every contract (to tell which is current)."""
        query = (select(integration_requests)
                 .where(integration_requests.c.company_rut == company_rut)
                 .order_by(integration_requests.c.requested_at, integration_requests.c.id))
        return [_request(row) for row in await self._all(self._lock(query) if lock else query)]

    async def update_request(self, request_id: str, **values: Any) -> None:
        await self.session.execute(
            update(integration_requests)
            .where(integration_requests.c.id == request_id)
            .values(**values)
        )

    async def save_link(self, company_rut: str, company_id: str, request_id: str) -> None:
        """Link an invoicing company to the accounting company keeping its books."""
        values = {"company_id": company_id, "request_id": request_id, "approved_at": now()}
        existing = await self._one(
            select(integration_links).where(integration_links.c.company_rut == company_rut)
        )
        if existing is None:
            await self.session.execute(
                insert(integration_links).values(company_rut=company_rut, **values)
            )
        else:
            await self.session.execute(
                update(integration_links)
                .where(integration_links.c.company_rut == company_rut)
                .values(**values)
            )

    async def delete_link(self, company_rut: str) -> None:
        await self.session.execute(
            delete(integration_links).where(integration_links.c.company_rut == company_rut))

    async def link_for_rut(self, company_rut: str) -> IntegrationLink | None:
        row = await self._one(
            select(integration_links).where(integration_links.c.company_rut == company_rut)
        )
        return None if row is None else IntegrationLink(**row)

    async def link_for_company(self, company_id: str) -> IntegrationLink | None:
        row = await self._one(
            select(integration_links)
            .where(integration_links.c.company_id == company_id)
            .order_by(integration_links.c.approved_at.desc())
            .limit(1)
        )
        return None if row is None else IntegrationLink(**row)


def company_of(row: RowMapping) -> Company:
    return Company(**{**row, "status": CompanyStatus(row.status)})


def _request(row: RowMapping) -> IntegrationRequest:
    return IntegrationRequest(**{**row, "status": RequestStatus(row.status)})


def _account_row(company_id: str, account: Account) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "code": account.code,
        "name": account.name,
        "type": str(account.type),
        "postable": account.postable,
        "auxiliary": account.auxiliary,
        "active": account.active,
    }
