"""Record a payment or collection; a connected company's goes to accounting at once."""

import uuid
from dataclasses import replace

from invoicing.domain import payments as rules
from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.errors import NotFound
from invoicing.domain.payments import Payment
from invoicing.service_layer.outgoing import payment_recorded
from invoicing.service_layer.unit_of_work import UnitOfWork


async def record(uow: UnitOfWork, payment: Payment) -> Payment:
    payment = replace(payment, id=str(uuid.uuid4()))
    rules.validate(payment)
    async with uow:
        if await uow.companies.get(payment.company_rut) is None:
            raise NotFound(company_not_found_detail(payment.company_rut))
        await uow.payments.add(payment)
        link = await uow.links.get(payment.company_rut)
        if link is not None and link.sends_payments:
            await uow.stage([payment_recorded(payment)])
        await uow.commit()
    return payment


async def list_payments(uow: UnitOfWork, company_rut: str, offset: int,
                        limit: int) -> tuple[list[Payment], int]:
    async with uow:
        if await uow.companies.get(company_rut) is None:
            raise NotFound(company_not_found_detail(company_rut))
        return await uow.payments.page(company_rut, offset, limit)
