"""Which contract a resource belongs to: what a token's ``contracts`` claim is checked
against."""

from accounting.service_layer.unit_of_work import Services

# Path parameter → what it names, and the answer when it is not found or not reachable:
# the same words either way, so a token cannot tell another contract's data exists.
NOT_FOUND = {
    "rut": "There is no contract with RUT {}: create it with POST /v1/contracts.",
    "company_id": "There is no company with id {}.",
    "request_id": "There is no integration request with id {}.",
    "sync_id": "There is no sync session with id {}.",
    "entry_id": "There is no journal entry with id {}.",
}


async def owning_contract(services: Services, parameter: str, value: str) -> str | None:
    """The contract-holder RUT that owns the resource, or None if there is no such one."""
    if parameter == "rut":
        return value
    async with services.uow() as uow:
        if parameter == "request_id":
            request = await uow.companies.get_request(value)
            return request.contract_rut if request else None
        company_id: str | None = value
        if parameter == "sync_id":
            sync = await uow.syncs.get_sync(value)
            company_id = sync.company_id if sync else None
        elif parameter == "entry_id":
            entry = await uow.journal.get_entry(value)
            company_id = entry.company_id if entry else None
        company = await uow.companies.get_company(company_id) if company_id else None
        return company.contract_rut if company else None
