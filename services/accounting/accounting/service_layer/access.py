"""Which contract a resource belongs to: what a token's ``contracts`` claim is checked
against.

The owner of a resource never changes: a company is created under its contract and no
use case moves it (hiding or deleting it changes its status, not its contract), and a
sync session, an entry or an integration request stays its company's or contract's. So
an owner found once is remembered (``Owners``) and every later request about the same
resource skips the lookup, which was a transaction and two queries ahead of each of a
front-end's polls. What is remembered is a fact about the data, not a decision about a
token: each request still checks its own token's claims against the owner, so a token
that does not name the contract is refused at once, cached or not. An id not found is
not remembered (it may be created the next moment).
"""

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
    owner = services.owners.get(parameter, value)
    if owner is not None:
        return owner
    owner, company_id = await _look_up(services, parameter, value)
    if owner is not None:
        services.owners.remember(parameter, value, owner)
        if company_id is not None:
            services.owners.remember("company_id", company_id, owner)
    return owner


async def _look_up(services: Services, parameter: str,
                   value: str) -> tuple[str | None, str | None]:
    """The owner and, for what belongs to a company, that company's id."""
    async with services.reads() as uow:
        if parameter == "request_id":
            request = await uow.companies.get_request(value)
            return (request.contract_rut if request else None), None
        company_id: str | None = value
        if parameter == "sync_id":
            sync = await uow.syncs.get_sync(value)
            company_id = sync.company_id if sync else None
        elif parameter == "entry_id":
            entry = await uow.journal.get_entry(value)
            company_id = entry.company_id if entry else None
        company = await uow.companies.get_company(company_id) if company_id else None
        return (company.contract_rut if company else None), company_id
