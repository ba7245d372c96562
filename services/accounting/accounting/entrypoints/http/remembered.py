"""The remembered detail accounts of a company's counterparties: list, set, forget.

Authorised like the settings: the company must be in a contract the token reaches
(access.resource_in_scope, by company_id). The counterparty's RUT is ``counterparty_rut``
in the path, never ``rut``, which access checks as a contract's."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from accounting.entrypoints.http.deps import ServicesDep
from accounting.entrypoints.http.schemas import (
    RememberedAccountIn,
    RememberedAccountOut,
    RememberedAccountPage,
)
from accounting.service_layer import remembered
from shared.events import Direction
from shared.http.pagination import MAX_OFFSET
from shared.http.problems import PROBLEM_RESPONSES
from shared.rut import Rut
from shared.text import Identifier

router = APIRouter(prefix="/v1/companies/{company_id}/remembered-accounts",
                   tags=["remembered accounts"], responses=PROBLEM_RESPONSES)

CompanyId = Annotated[Identifier, Path(description="accounting company id")]
DirectionPath = Annotated[Direction, Path(description="sales (a customer) or purchases "
                                                      "(a supplier)")]
CounterpartyRut = Annotated[Rut, Path(description="the counterparty's RUT, e.g. 76354771-K "
                                                  "or 76.354.771-K")]


@router.get("", summary="The detail accounts remembered for the company's counterparties")
async def list_remembered(
    company_id: CompanyId, services: ServicesDep,
    direction: Annotated[Direction | None, Query()] = None,
    counterparty_rut: Annotated[Rut | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RememberedAccountPage:
    """By direction and RUT. A person's change of a document's detail account is
    remembered when its sync is confirmed; each counterparty's next documents are then
    proposed with it instead of the settings' default, with `account_source`
    `remembered` and an `account_note` that says so."""
    return RememberedAccountPage(**await remembered.list_remembered(
        services, company_id, direction, counterparty_rut, offset, limit))


@router.get("/{direction}/{counterparty_rut}",
            summary="The detail account remembered for one counterparty")
async def get_remembered(company_id: CompanyId, direction: DirectionPath,
                         counterparty_rut: CounterpartyRut,
                         services: ServicesDep) -> RememberedAccountOut:
    return RememberedAccountOut(**await remembered.get_remembered(
        services, company_id, direction, counterparty_rut))


@router.put("/{direction}/{counterparty_rut}",
            summary="Remember a detail account for a counterparty's next documents")
async def set_remembered(company_id: CompanyId, direction: DirectionPath,
                         counterparty_rut: CounterpartyRut, body: RememberedAccountIn,
                         services: ServicesDep) -> RememberedAccountOut:
    """Replaces what was remembered. The account must exist, be postable and active, track
    no counterparties and be of the direction's kind (income for sales, expense or asset
    for purchases), as the settings' detail accounts: otherwise 422 saying why. Documents
    already in review keep their proposal; a later confirm of a different choice for the
    counterparty replaces this one."""
    return RememberedAccountOut(**await remembered.set_remembered(
        services, company_id, direction, counterparty_rut, body.account_code))


@router.delete("/{direction}/{counterparty_rut}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Forget it: the counterparty's next documents get the default again")
async def forget_remembered(company_id: CompanyId, direction: DirectionPath,
                            counterparty_rut: CounterpartyRut,
                            services: ServicesDep) -> Response:
    await remembered.forget(services, company_id, direction, counterparty_rut)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
