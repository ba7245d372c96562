"""Bearer JWT (HS256, PyJWT) for every public endpoint.

Claims: ``sub``; ``contracts`` (contract-holder RUTs a user of accounting may reach);
``companies`` (company RUTs a user of invoicing may reach); ``roles`` (``service`` for
the worker's internal calls). RUTs in claims may be written in any accepted form; they
are compared canonically. A resource outside the token's scope answers 404, as if it did
not exist, so a token cannot probe for other companies' books.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http.problems import Problem
from shared.rut import InvalidRut, canonical_rut

ALGORITHM = "HS256"
SERVICE_ROLE = "service"
DEVELOPMENT_SECRET = "development-only-secret-change-me-in-production"


class Unauthorized(Problem):
    status = 401
    title = "Not authenticated"
    type = "/problems/unauthorized"


class Forbidden(Problem):
    status = 403
    title = "Forbidden"
    type = "/problems/forbidden"


@dataclass(frozen=True)
class Principal:
    sub: str
    contracts: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    @property
    def is_service(self) -> bool:
        return SERVICE_ROLE in self.roles

    def reaches_contract(self, rut: str) -> bool:
        return self.is_service or rut in self.contracts

    def reaches_company(self, rut: str) -> bool:
        return self.is_service or rut in self.companies


def _ruts(values: Any, claim: str) -> frozenset[str]:
    if values is None:
        return frozenset()
    if not isinstance(values, list):
        raise Unauthorized(f"the token's '{claim}' claim must be a list of RUTs")
    try:
        return frozenset(canonical_rut(v) for v in values)
    except InvalidRut as error:
        raise Unauthorized(f"the token's '{claim}' claim has a bad RUT: {error}") from None


def mint_token(secret: str, sub: str, *, contracts: Iterable[str] = (),
               companies: Iterable[str] = (), roles: Iterable[str] = (),
               ttl_seconds: int = 3600) -> str:
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + ttl_seconds,
              "contracts": list(contracts), "companies": list(companies), "roles": list(roles)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the bearer token has expired: get a new one") from None
    except jwt.InvalidTokenError as error:
        raise Unauthorized(f"the bearer token is not valid ({error})") from None
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthorized("the token's 'roles' claim must be a list of strings")
    return Principal(sub=str(claims["sub"]), contracts=_ruts(claims.get("contracts"), "contracts"),
                     companies=_ruts(claims.get("companies"), "companies"),
                     roles=frozenset(roles))


_bearer = HTTPBearer(auto_error=False, description="A JWT signed with the service's AUTH_SECRET")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency; the app stores its secret in ``app.state.auth_secret``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an 'Authorization: Bearer <token>' header; "
                           "`make token` prints one for development")
    return verify_token(request.app.state.auth_secret, credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def service_principal(principal: CurrentPrincipal) -> Principal:
    if not principal.is_service:
        raise Forbidden("this endpoint is for the integration worker: it needs the "
                        f"'{SERVICE_ROLE}' role")
    return principal


ServicePrincipal = Annotated[Principal, Depends(service_principal)]
