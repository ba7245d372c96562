"""Bearer JWTs (PyJWT) for every public endpoint, and the worker's service credential.

Claims: ``sub``; ``exp`` (required; the token may live at most the configured lifetime);
``iss`` / ``aud`` when the deployment configures them; ``contracts`` (contract-holder
RUTs a user of accounting may reach); ``companies`` (company RUTs a user of invoicing may
reach); ``roles`` (``operator`` for the dead-letter API). RUTs in claims may be written in
any accepted form; they are compared canonically. A resource outside the token's scope
answers 404, as if it did not exist, so a token cannot probe for other companies' books.

User tokens are HS256 with a shared secret (development) or RS256 / EdDSA, verified with
the issuer's public key only, so a process that verifies holds nothing that signs. The
worker's calls to accounting's internal API carry short-lived ``service`` tokens signed
with a secret only the worker and accounting hold (WORKER_SERVICE_SECRET): whoever issues
user tokens cannot reach the internal API, and the worker's credential reaches no one's
public data.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http.problems import Problem
from shared.rut import InvalidRut, canonical_rut

ALGORITHM = "HS256"
ALGORITHMS = ("HS256", "RS256", "EdDSA")
SERVICE_ROLE = "service"
OPERATOR_ROLE = "operator"  # dead letters and other operations of a whole deployment
# Public values (they are in this repository): accepted only with ENVIRONMENT=development.
DEVELOPMENT_SECRET = "development-only-secret-change-me-in-production"
DEVELOPMENT_SERVICE_SECRET = "development-only-worker-secret-change-me-too"
DEFAULT_MAX_LIFETIME = 24 * 3600
# The worker's service tokens live this long (renewed at half): accounting accepts no more.
SERVICE_TOKEN_LIFETIME = 900
# Clock skew tolerated between the issuer and us, on exp, iat and the lifetime.
LEEWAY_SECONDS = 30
# Verified tokens remembered per verifier: a client sends the same token with every
# request, and checking its signature and claims again was ~3 % of a live POST's CPU.
VERIFIED_TOKENS_KEPT = 1024


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


def mint_token(key: str, sub: str, *, contracts: Iterable[str] = (),
               companies: Iterable[str] = (), roles: Iterable[str] = (),
               ttl_seconds: int = 3600, algorithm: str = ALGORITHM,
               issuer: str | None = None, audience: str | None = None) -> str:
    """A token signed with ``key``: the HS256 secret, or a PEM private key for RS256 or
    EdDSA (development and tests; production tokens come from the deployment's issuer)."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + ttl_seconds,
                              "contracts": list(contracts), "companies": list(companies),
                              "roles": list(roles)}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, key, algorithm=algorithm)


@dataclass(frozen=True)
class TokenVerifier:
    """How this process checks a bearer token. ``key`` is the HS256 secret or the
    issuer's PEM public key; ``issuer`` and ``audience`` are checked when set."""

    key: str
    algorithm: str = ALGORITHM
    max_lifetime: int = DEFAULT_MAX_LIFETIME
    issuer: str | None = None
    audience: str | None = None
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    # token → (its principal, the moment it stops being accepted); least recent first.
    # Only tokens that passed every check get in: a refusal is decided again each time.
    _verified: OrderedDict[str, tuple["Principal", float]] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False)

    def claims(self, token: str) -> dict[str, Any]:
        required = ["sub", "exp", *(["iss"] if self.issuer else []),
                    *(["aud"] if self.audience else [])]
        try:
            claims = jwt.decode(token, self.key, algorithms=[self.algorithm],
                                issuer=self.issuer, audience=self.audience,
                                leeway=LEEWAY_SECONDS,
                                options={"require": required,
                                         "verify_aud": self.audience is not None})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the bearer token has expired: get a new one") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("the bearer token is from another issuer: its iss must be "
                               f"{self.issuer!r} (AUTH_ISSUER)") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("the bearer token is for another service: its aud must "
                               f"include {self.audience!r} (AUTH_AUDIENCE)") from None
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the bearer token is not valid ({error})") from None
        self._check_lifetime(claims)
        return claims

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        # A stolen token is useful for as long as it lives: no token lives longer than
        # the cap, whatever its issuer wrote. Without iat, what is left of it counts.
        start = claims.get("iat")
        if not isinstance(start, int | float):
            start = time.time()
        if claims["exp"] - start > self.max_lifetime + LEEWAY_SECONDS:
            raise Unauthorized(
                f"the bearer token lives longer than this service accepts "
                f"({self.max_lifetime} s between iat and exp, AUTH_MAX_TOKEN_LIFETIME): "
                "get a shorter-lived one")

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, accepted_until = remembered
            if self.clock() < accepted_until:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
            raise Unauthorized("the bearer token has expired: get a new one")
        claims = self.claims(token)
        principal = self._principal(claims)
        # Accepted for as long as jwt.decode would accept it: until exp plus the leeway.
        self._verified[token] = (principal, float(claims["exp"]) + LEEWAY_SECONDS)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    @staticmethod
    def _principal(claims: dict[str, Any]) -> Principal:
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthorized("the token's 'roles' claim must be a list of strings")
        return Principal(sub=str(claims["sub"]),
                         contracts=_ruts(claims.get("contracts"), "contracts"),
                         companies=_ruts(claims.get("companies"), "companies"),
                         roles=frozenset(roles))


_bearer = HTTPBearer(auto_error=False, description="A JWT from the deployment's issuer "
                                                   "(`make token` in development)")

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an 'Authorization: Bearer <token>' header; "
                           "`make token` prints one for development")
    return credentials.credentials


async def current_principal(request: Request, credentials: BearerCredentials) -> Principal:
    """FastAPI dependency; the app keeps its TokenVerifier in ``app.state.tokens``."""
    return request.app.state.tokens.verify(_token(credentials))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def service_principal(request: Request, credentials: BearerCredentials) -> Principal:
    """The worker's internal calls: only a token signed with the worker's own credential
    (``app.state.service_tokens``) and carrying the service role gets through."""
    token = _token(credentials)
    try:
        principal: Principal | None = request.app.state.service_tokens.verify(token)
    except Unauthorized as refused:
        try:
            request.app.state.tokens.verify(token)  # a user's token: 403, not 401
        except Unauthorized:
            raise refused from None
        principal = None
    if principal is None or not principal.is_service:
        raise Forbidden("this endpoint is for the integration worker: it needs the "
                        f"'{SERVICE_ROLE}' role in a token signed with the worker's "
                        "credential (WORKER_SERVICE_SECRET)")
    return principal


ServicePrincipal = Annotated[Principal, Depends(service_principal)]


async def operator_principal(principal: CurrentPrincipal) -> Principal:
    if OPERATOR_ROLE not in principal.roles:
        raise Forbidden(f"this endpoint is for operators: it needs the '{OPERATOR_ROLE}' role "
                        f"(`make token ROLES={OPERATOR_ROLE}` in development)")
    return principal


class ServiceToken(httpx.Auth):
    """Signs the worker's internal calls with a short-lived ``service`` token (HS256 with
    the worker's own secret), renewed well before it expires."""

    def __init__(self, secret: str, sub: str, *, ttl_seconds: int = SERVICE_TOKEN_LIFETIME):
        self._secret, self._sub, self._ttl = secret, sub, ttl_seconds
        self._token, self._renew_at = "", 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if time.monotonic() >= self._renew_at:
            self._token = mint_token(self._secret, self._sub, roles=[SERVICE_ROLE],
                                     ttl_seconds=self._ttl)
            self._renew_at = time.monotonic() + self._ttl / 2
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
