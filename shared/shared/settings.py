"""Settings every process reads from the environment (pydantic-settings).

Two steps. Reading (``read_settings``) checks types, ranges and that the token settings
fit together, for every command; a bad value is one line naming the variable and the rule
(``SettingsError``), never a traceback. Before a long-running process starts (`serve`,
`run`), ``startup_check`` refuses the public development secrets unless the deployment
says ENVIRONMENT=development, and then returns the one warning line to log.
"""

import logging
import sys
from typing import Any, Literal, NoReturn, TypeVar

from jwt.algorithms import get_default_algorithms
from jwt.exceptions import InvalidKeyError
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.http.auth import (
    DEFAULT_MAX_LIFETIME,
    DEVELOPMENT_SECRET,
    DEVELOPMENT_SERVICE_SECRET,
    SERVICE_TOKEN_LIFETIME,
    TokenVerifier,
)
from shared.messaging.topology import Topology
from shared.redaction import redact_url

DEVELOPMENT = "development"
# Values anyone can read (the source, deploy/k8s/secret.example.yaml): no deployment may
# sign or verify with them. Any secret with "change-me" in it is a placeholder too.
PUBLIC_SECRETS = frozenset({DEVELOPMENT_SECRET, DEVELOPMENT_SERVICE_SECRET})
PLACEHOLDER_MARK = "change-me"


class SettingsError(Exception):
    """A setting this process cannot run with; the message is one line for a person."""


def is_public_secret(value: str) -> bool:
    return value in PUBLIC_SECRETS or PLACEHOLDER_MARK in value.lower()


def _pem(value: str) -> str:
    # A PEM fits on one line of an env file with literal "\n" (compose, systemd).
    return value.replace("\\n", "\n").strip()


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: Literal["production", "development"] = Field(
        default="production",
        description="ENVIRONMENT: `development` lets the process run on the public "
                    "development secrets (make run, make demo, the tests); anything "
                    "else is a deployment and refuses them")
    amqp_url: str = "amqp://guest:guest@localhost:5672/"
    event_exchange: str = Field(default="dte.events", description="the topic exchange")
    queue_prefix: str = Field(default="", description="prefix of this deployment's queues")
    delivery_limit: int = 5
    log_level: str = "INFO"
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="json (one object a line) or text; serve/run default to "
                                  "json, migrate and import to text")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024,
                                description="largest JSON request body; file imports have "
                                            "their own limit")
    db_pool_size: int = Field(
        default=20, ge=1, le=500,
        description="database connections each API process keeps (DB_POOL_SIZE); up to half "
                    "as many more open in bursts. Size the server's max_connections for every "
                    "process's pool")
    auth_algorithm: Literal["HS256", "RS256", "EdDSA"] = Field(
        default="HS256",
        description="AUTH_ALGORITHM of the users' bearer tokens: HS256 with AUTH_SECRET, or "
                    "RS256 / EdDSA verified with AUTH_PUBLIC_KEY (no signing key here)")
    auth_secret: str = Field(
        default=DEVELOPMENT_SECRET, min_length=32,
        description="AUTH_SECRET, the HS256 key of the users' bearer tokens: at least 32 "
                    "characters, your own outside development",
    )
    auth_public_key: str | None = Field(
        default=None,
        description="AUTH_PUBLIC_KEY: the token issuer's PEM public key (RSA for RS256, "
                    "Ed25519 for EdDSA); literal \\n may stand for the line breaks")
    auth_issuer: str | None = Field(default=None,
                                    description="AUTH_ISSUER: when set, tokens must carry "
                                                "this iss")
    auth_audience: str | None = Field(default=None,
                                      description="AUTH_AUDIENCE: when set, tokens must be "
                                                  "for this aud")
    auth_max_token_lifetime: int = Field(
        default=DEFAULT_MAX_LIFETIME, ge=60, le=30 * 24 * 3600,
        description="AUTH_MAX_TOKEN_LIFETIME: seconds a token may live (exp - iat); "
                    "a longer-lived one is refused")

    @field_validator("auth_public_key", "auth_issuer", "auth_audience", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _token_settings_fit(self) -> "CommonSettings":
        if self.auth_algorithm == "HS256":
            return self
        if not self.auth_public_key:
            raise ValueError(f"AUTH_PUBLIC_KEY: AUTH_ALGORITHM={self.auth_algorithm} verifies "
                             "with the issuer's public key; set it to the key's PEM")
        self.auth_public_key = _pem(self.auth_public_key)
        algorithm = get_default_algorithms()[self.auth_algorithm]
        if "PRIVATE KEY" in self.auth_public_key:
            raise ValueError("AUTH_PUBLIC_KEY: holds a private key; give only its public "
                             "part (`openssl pkey -pubout`), nothing here signs tokens")
        try:
            algorithm.prepare_key(self.auth_public_key)
        except (InvalidKeyError, ValueError, TypeError) as error:
            raise ValueError(f"AUTH_PUBLIC_KEY: not a PEM public key for "
                             f"{self.auth_algorithm} ({type(error).__name__})") from None
        return self

    @property
    def topology(self) -> Topology:
        return Topology(self.event_exchange, self.queue_prefix, self.delivery_limit)

    @property
    def token_verifier(self) -> TokenVerifier:
        """How this process checks the users' tokens."""
        asymmetric = self.auth_algorithm != "HS256"
        return TokenVerifier(
            key=(self.auth_public_key or "") if asymmetric else self.auth_secret,  # set: checked
            algorithm=self.auth_algorithm, max_lifetime=self.auth_max_token_lifetime,
            issuer=self.auth_issuer, audience=self.auth_audience)

    def public_secrets(self) -> list[str]:
        """The variables whose value is public (development or placeholder)."""
        in_use = self.auth_algorithm == "HS256"
        return ["AUTH_SECRET"] if in_use and is_public_secret(self.auth_secret) else []


class WorkerCredentialSettings(CommonSettings):
    """The worker's own credential for accounting's internal API: the worker signs its
    service tokens with it, accounting verifies them with it; nothing else holds it."""

    worker_service_secret: str = Field(
        default=DEVELOPMENT_SERVICE_SECRET, min_length=32,
        description="WORKER_SERVICE_SECRET: HS256 key of the worker's service tokens, held "
                    "by the worker and accounting only; at least 32 characters, not "
                    "AUTH_SECRET")

    @model_validator(mode="after")
    def _own_credential(self) -> "WorkerCredentialSettings":
        if self.worker_service_secret == self.auth_secret:
            raise ValueError("WORKER_SERVICE_SECRET: must differ from AUTH_SECRET, or whoever "
                             "signs users' tokens could call the internal API")
        return self

    @property
    def service_token_verifier(self) -> TokenVerifier:
        return TokenVerifier(key=self.worker_service_secret,
                             max_lifetime=SERVICE_TOKEN_LIFETIME)

    def public_secrets(self) -> list[str]:
        public = super().public_secrets()
        if is_public_secret(self.worker_service_secret):
            public.append("WORKER_SERVICE_SECRET")
        return public


S = TypeVar("S", bound=CommonSettings)


def _variable(settings_type: type[BaseSettings], location: tuple) -> str:
    if not location:
        return "settings"
    name = str(location[0])
    prefix = settings_type.model_config.get("env_prefix", "")
    return (prefix + name).upper()


def describe(error: ValidationError, settings_type: type[BaseSettings]) -> str:
    """One line: each bad variable and its rule; never the value (it may be a secret)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "value_error" and ":" in message.split(" ", 1)[0]:
            parts.append(message)  # our own rules already start with the variable
        else:
            parts.append(f"{_variable(settings_type, item['loc'])}: {message}")
    return "; ".join(parts)


def read_settings(settings_type: type[S], **values: Any) -> S:
    try:
        return settings_type(**values)
    except ValidationError as error:
        raise SettingsError(describe(error, settings_type)) from None


def startup_check(settings: CommonSettings) -> str | None:
    """For `serve` and `run`: raises SettingsError on a public secret outside development;
    in development returns the warning line to log (None when every secret is your own)."""
    public = settings.public_secrets()
    if not public:
        return None
    names = " and ".join(public)
    if settings.environment != DEVELOPMENT:
        raise SettingsError(
            f"{names}: refusing to start with a public value (the development default or "
            "the example placeholder); set your own (`openssl rand -hex 32`), or "
            "ENVIRONMENT=development to run with the development one")
    value = "are public development values" if len(public) > 1 else \
        "is a public development value"
    return (f"ENVIRONMENT=development: {names} {value}, so anyone can mint tokens this "
            "process accepts; never expose it")


def settings_or_exit(settings_type: type[S], prog: str) -> S:
    """The settings; a bad one prints ``prog: <one line>`` on stderr and exits with 2."""
    try:
        return read_settings(settings_type)
    except SettingsError as error:
        _exit(prog, error)


def startup_check_or_exit(settings: CommonSettings, prog: str) -> str | None:
    """``startup_check`` for a CLI: the warning to log once logging is set up, or exit 2."""
    try:
        return startup_check(settings)
    except SettingsError as error:
        _exit(prog, error)


def _exit(prog: str, error: SettingsError) -> NoReturn:
    print(f"{prog}: {error}", file=sys.stderr)
    raise SystemExit(2)


def log_startup(log: logging.Logger, settings: CommonSettings, warning: str | None,
                **urls: str) -> None:
    """The development warning, if any, and one line saying what the process connects to,
    with every password masked."""
    if warning:
        log.warning(warning)
    shown = {"broker": settings.amqp_url, **urls}
    log.info("starting in %s: %s", settings.environment,
             ", ".join(f"{name} {redact_url(url)}" for name, url in shown.items()))
