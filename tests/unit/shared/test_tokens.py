"""What a bearer token must be to get in (issue 11, item 7): exp required, its lifetime
capped, iss and aud checked when configured, and RS256 / EdDSA tokens verified with the
issuer's public key alone."""

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from fastapi import Depends, FastAPI

from integration_worker.bootstrap import build_worker
from integration_worker.config import Settings as WorkerSettings
from shared.http.auth import (
    SERVICE_ROLE,
    TokenVerifier,
    Unauthorized,
    current_principal,
    mint_token,
    service_principal,
)
from shared.http.problems import install_problem_handlers

SECRET = "s" * 40
HOUR = 3600


def claims(**overrides):
    now = int(time.time())
    values = {"sub": "someone", "iat": now, "exp": now + HOUR, "contracts": ["78000000-7"]}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def hs(payload) -> str:
    return jwt.encode(payload, SECRET, algorithm="HS256")


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as error:
        verifier.verify(token)
    return error.value.detail


def test_a_token_within_the_rules_gets_in():
    principal = TokenVerifier(SECRET).verify(hs(claims()))
    assert principal.sub == "someone" and principal.contracts == {"78000000-7"}


def test_exp_is_required():
    assert '"exp"' in refused(TokenVerifier(SECRET), hs(claims(exp=None)))


def test_an_expired_token_is_refused():
    now = int(time.time())
    assert "expired" in refused(TokenVerifier(SECRET), hs(claims(iat=now - 3 * HOUR,
                                                                  exp=now - HOUR)))


def test_a_token_that_lives_longer_than_the_cap_is_refused():
    verifier = TokenVerifier(SECRET, max_lifetime=24 * HOUR)
    now = int(time.time())
    assert verifier.verify(hs(claims(exp=now + 24 * HOUR)))
    detail = refused(verifier, hs(claims(exp=now + 25 * HOUR)))
    assert "AUTH_MAX_TOKEN_LIFETIME" in detail
    # Issued long ago and still valid for a while: its whole life counts, not what is left.
    assert refused(verifier, hs(claims(iat=now - 30 * HOUR, exp=now + HOUR)))


def test_without_iat_what_is_left_of_it_counts():
    verifier = TokenVerifier(SECRET, max_lifetime=24 * HOUR)
    now = int(time.time())
    assert verifier.verify(hs(claims(iat=None, exp=now + 2 * HOUR)))
    assert "AUTH_MAX_TOKEN_LIFETIME" in refused(verifier, hs(claims(iat=None,
                                                                      exp=now + 365 * 24 * HOUR)))


def test_issuer_and_audience_are_checked_when_configured():
    verifier = TokenVerifier(SECRET, issuer="https://login.example.com", audience="dte")
    good = claims(iss="https://login.example.com", aud="dte")
    assert verifier.verify(hs(good))
    assert "AUTH_ISSUER" in refused(verifier, hs({**good, "iss": "https://evil.example.com"}))
    assert "AUTH_AUDIENCE" in refused(verifier, hs({**good, "aud": "another-api"}))
    assert '"iss"' in refused(verifier, hs(claims(aud="dte")))
    assert '"aud"' in refused(verifier, hs(claims(iss="https://login.example.com")))


def test_without_configuration_iss_and_aud_are_not_required():
    assert TokenVerifier(SECRET).verify(hs(claims(iss="anyone", aud="anything")))


def test_mint_token_writes_what_the_verifier_checks():
    token = mint_token(SECRET, "dev", contracts=["78000000-7"], issuer="me", audience="dte")
    assert TokenVerifier(SECRET, issuer="me", audience="dte").verify(token).sub == "dev"


def _private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize("algorithm, generate", [
    ("RS256", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ("EdDSA", ed25519.Ed25519PrivateKey.generate),
])
def test_public_key_verification(algorithm, generate):
    issuer, intruder = generate(), generate()
    verifier = TokenVerifier(_public_pem(issuer), algorithm=algorithm)
    signed = mint_token(_private_pem(issuer), "user", contracts=["78000000-7"],
                        algorithm=algorithm)
    assert verifier.verify(signed).contracts == {"78000000-7"}
    forged = mint_token(_private_pem(intruder), "user", algorithm=algorithm)
    assert "not valid" in refused(verifier, forged)
    # Nor may anyone sign HS256 with the public key as the secret (algorithm confusion).
    assert "not valid" in refused(verifier, hs(claims()))


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.tokens = TokenVerifier(SECRET)
    app.state.service_tokens = TokenVerifier("w" * 40, max_lifetime=900)

    @app.get("/public")
    async def public(principal=Depends(current_principal)) -> dict:
        return {"sub": principal.sub}

    @app.get("/internal")
    async def internal(principal=Depends(service_principal)) -> dict:
        return {"sub": principal.sub}

    return app


async def test_the_internal_api_takes_only_the_workers_credential_and_it_reaches_nothing_else():
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        def bearer(token: str) -> dict:
            return {"Authorization": f"Bearer {token}"}

        worker = mint_token("w" * 40, "integration-worker", roles=[SERVICE_ROLE], ttl_seconds=900)
        user_with_service_role = mint_token(SECRET, "user", roles=[SERVICE_ROLE])
        assert (await client.get("/internal", headers=bearer(worker))).status_code == 200
        refused_user = await client.get("/internal", headers=bearer(user_with_service_role))
        assert refused_user.status_code == 403
        assert "WORKER_SERVICE_SECRET" in refused_user.json()["detail"]
        assert (await client.get("/public", headers=bearer(worker))).status_code == 401
        long_lived = mint_token("w" * 40, "integration-worker", roles=[SERVICE_ROLE],
                                ttl_seconds=24 * HOUR)
        assert (await client.get("/internal", headers=bearer(long_lived))).status_code == 401


async def test_the_worker_signs_with_its_own_credential_not_the_users_secret():
    settings = WorkerSettings(auth_secret=SECRET, worker_service_secret="w" * 40)
    worker = build_worker(settings)
    try:
        request = httpx.Request("GET", "http://accounting/internal/v1/x")
        signed = next(worker.accounting._http.auth.auth_flow(request))
        token = signed.headers["Authorization"].removeprefix("Bearer ")
        assert settings.service_token_verifier.verify(token).is_service
        with pytest.raises(Unauthorized):
            settings.token_verifier.verify(token)
    finally:
        await worker.accounting.close()


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_is_refused_once_it_expires():
    now = int(time.time())
    clock = _Clock(now)
    verifier = TokenVerifier(SECRET, clock=clock)
    token = hs(claims(iat=now, exp=now + 60))
    assert verifier.verify(token).sub == "someone"
    clock.now = now + 60 + 29  # within the leeway, as jwt.decode would accept it
    assert verifier.verify(token).sub == "someone"
    clock.now = now + 60 + 30
    assert "expired" in refused(verifier, token)


def test_a_refusal_is_never_remembered_as_an_acceptance():
    verifier = TokenVerifier(SECRET)
    good = hs(claims())
    assert verifier.verify(good).sub == "someone"
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    assert "not valid" in refused(verifier, tampered)
    assert "not valid" in refused(verifier, tampered)  # decided again, refused again
    too_long = hs(claims(exp=int(time.time()) + 48 * HOUR))
    assert "lives longer" in refused(verifier, too_long)
    assert "lives longer" in refused(verifier, too_long)


def test_verified_tokens_are_remembered_up_to_a_bound(monkeypatch):
    import shared.http.auth as auth

    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token, *args, **kwargs):
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(auth, "VERIFIED_TOKENS_KEPT", 2)
    monkeypatch.setattr(auth.jwt, "decode", counting_decode)
    verifier = TokenVerifier(SECRET)
    first, second, third = (hs(claims(sub=f"user-{i}")) for i in range(3))
    for token in (first, first, second, first):
        verifier.verify(token)
    assert decoded == [first, second]  # the signature checked once per token
    verifier.verify(third)  # over the bound: the least recently used (second) goes
    verifier.verify(first)
    verifier.verify(second)
    assert decoded == [first, second, third, second]
