"""Who may reach what: a token reaches the companies its ``companies`` claim names.

A company outside the token answers exactly as a company that does not exist (404), so a
token cannot learn which other companies invoicing holds.
"""

from fastapi import Request

from invoicing.domain.companies import company_not_found_detail
from invoicing.domain.errors import NotFound
from shared.http.auth import CurrentPrincipal, Forbidden, Principal
from shared.rut import InvalidRut, canonical_rut


async def company_in_scope(request: Request, principal: CurrentPrincipal) -> Principal:
    written = request.path_params.get("rut")
    if written is not None:
        try:
            rut = canonical_rut(written)
        except InvalidRut:
            return principal  # the route's own validation answers 422 with the reason
        if not principal.reaches_company(rut):
            raise NotFound(company_not_found_detail(rut))
    return principal


def ensure_may_register(principal: Principal, rut: str) -> None:
    if not principal.reaches_company(rut):
        raise Forbidden(f"your token does not name company {rut}: ask for a token whose "
                        "'companies' claim includes it, then register it")
