"""A token reaches the contracts its ``contracts`` claim names, and everything in them.

Anything outside answers 404 exactly as if it did not exist.
"""

from fastapi import Request

from accounting.domain.errors import NotFound
from accounting.entrypoints.http.deps import ServicesDep
from accounting.service_layer.access import NOT_FOUND, owning_contract
from shared.http.auth import CurrentPrincipal, Forbidden, Principal
from shared.rut import InvalidRut, canonical_rut
from shared.text import IDENTIFIER_MAX_LENGTH, text_problem


async def resource_in_scope(request: Request, principal: CurrentPrincipal,
                            services: ServicesDep) -> Principal:
    for parameter, message in NOT_FOUND.items():
        value = request.path_params.get(parameter)
        if value is None:
            continue
        if parameter == "rut":
            try:
                value = canonical_rut(value)
            except InvalidRut:
                continue  # the route's own validation answers 422 with the reason
        elif text_problem(value, IDENTIFIER_MAX_LENGTH) is not None:
            continue  # too long or a control character (NUL): never looked up; 422 likewise
        contract = await owning_contract(services, parameter, value)
        if contract is None or not principal.reaches_contract(contract):
            raise NotFound(message.format(value))
    return principal


def ensure_may_create_contract(principal: Principal, rut: str) -> None:
    if not principal.reaches_contract(rut):
        raise Forbidden(f"your token does not name contract {rut}: ask for a token whose "
                        "'contracts' claim includes it, then create it")
