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

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http.problems import Problem
from shared.rut import InvalidRut, canonical_rut

ALGORITHM = "HS256"
SERVICE_ROLE = "service"
OPERATOR_ROLE = "operator"  # dead letters and other operations of a whole deployment
# What `make run`, `make demo` and `make token` use unless AUTH_SECRET is set.
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

    # The service role is for internal endpoints only: it reaches no one's public data.
    def reaches_contract(self, rut: str) -> bool:
        return rut in self.contracts

    def reaches_company(self, rut: str) -> bool:
        return rut in self.companies


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


async def operator_principal(principal: CurrentPrincipal) -> Principal:
    if OPERATOR_ROLE not in principal.roles:
        raise Forbidden(f"this endpoint is for operators: it needs the '{OPERATOR_ROLE}' role "
                        f"(`make token ROLES={OPERATOR_ROLE}` in development)")
    return principal


class ServiceToken(httpx.Auth):
    """Signs the worker's internal calls with a short-lived ``service`` token, renewed
    well before it expires."""

    def __init__(self, secret: str, sub: str, *, ttl_seconds: int = 900):
        self._secret, self._sub, self._ttl = secret, sub, ttl_seconds
        self._token, self._renew_at = "", 0.0

    def auth_flow(self, request: httpx.Request):  # noqa: ANN201 - httpx's generator protocol
        if time.monotonic() >= self._renew_at:
            self._token = mint_token(self._secret, self._sub, roles=[SERVICE_ROLE],
                                     ttl_seconds=self._ttl)
            self._renew_at = time.monotonic() + self._ttl / 2
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
