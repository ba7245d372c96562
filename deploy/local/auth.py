"""Bearer tokens for development clients: the demo, the e2e tests, `make token`.

`GrantingAuth` signs each request with a token naming every contract and company the
client has created or addressed by RUT so far — what an operator with the secret would
mint by hand. Tests of access control use explicit tokens instead.

They sign as the services expect (``Signer.from_environment``): with AUTH_SECRET, or with
AUTH_PRIVATE_KEY when AUTH_ALGORITHM is RS256 or EdDSA, and with AUTH_ISSUER /
AUTH_AUDIENCE when set. The public development secret only with ENVIRONMENT=development.
"""

import json
import os
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.http.auth import DEVELOPMENT_SECRET, mint_token
from shared.rut import InvalidRut, canonical_rut
from shared.settings import DEVELOPMENT, SettingsError

_BY_RUT = re.compile(r"^/v1/(contracts|companies)/([^/]+)")


@dataclass(frozen=True)
class Signer:
    key: str
    algorithm: str = "HS256"
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> "Signer":
        algorithm = env.get("AUTH_ALGORITHM") or "HS256"
        if algorithm != "HS256":
            key = env.get("AUTH_PRIVATE_KEY", "").replace("\\n", "\n").strip()
            if not key:
                raise SettingsError(f"AUTH_PRIVATE_KEY: AUTH_ALGORITHM={algorithm} tokens are "
                                    "signed with the issuer's private key; set it (PEM) to "
                                    "mint development tokens")
        else:
            key = env.get("AUTH_SECRET") or ""
            if not key and env.get("ENVIRONMENT") != DEVELOPMENT:
                raise SettingsError("AUTH_SECRET: not set; set it to the services' secret, or "
                                    "ENVIRONMENT=development to sign with the development one")
            key = key or DEVELOPMENT_SECRET
        return cls(key, algorithm, env.get("AUTH_ISSUER") or None,
                   env.get("AUTH_AUDIENCE") or None)

    def mint(self, sub: str, **claims: Any) -> str:
        return mint_token(self.key, sub, algorithm=self.algorithm, issuer=self.issuer,
                          audience=self.audience, **claims)


class GrantingAuth(httpx.Auth):
    def __init__(self, signer: Signer | None = None, sub: str = "developer"):
        self._signer = signer or Signer.from_environment()
        self._sub = sub
        self.contracts: set[str] = set()
        self.companies: set[str] = set()
        self._token: str | None = None

    def grant(self, *, contracts: tuple[str, ...] = (), companies: tuple[str, ...] = ()) -> None:
        before = (len(self.contracts), len(self.companies))
        self.contracts.update(canonical_rut(r) for r in contracts)
        self.companies.update(canonical_rut(r) for r in companies)
        if (len(self.contracts), len(self.companies)) != before:
            self._token = None

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self._signer.mint(self._sub, contracts=sorted(self.contracts),
                                            companies=sorted(self.companies),
                                            ttl_seconds=8 * 3600)
        return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "Authorization" not in request.headers:  # an explicit token wins
            self._learn(request)
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request

    def _learn(self, request: httpx.Request) -> None:
        path = request.url.path
        kind, rut = None, None
        if request.method == "POST" and path in ("/v1/contracts", "/v1/companies"):
            kind, rut = path.rsplit("/", 1)[1], _body_rut(request)
        elif match := _BY_RUT.match(path):
            kind, rut = match.groups()
        if kind is None or rut is None:
            return
        try:
            rut = canonical_rut(rut)
        except InvalidRut:
            return  # an accounting company id, or a typo the API will explain
        self.grant(**{kind: (rut,)})


def _body_rut(request: httpx.Request) -> str | None:
    if "json" not in request.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(request.content)
    except ValueError:
        return None
    return body.get("rut") if isinstance(body, dict) else None
