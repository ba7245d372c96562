"""Settings of the web console, from the environment."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.http.auth import DEVELOPMENT_SECRET


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    invoicing_url: str = Field(default="http://127.0.0.1:8001",
                               description="public API of invoicing (Factura Electrónica)")
    accounting_url: str = Field(default="http://127.0.0.1:8002",
                                description="public API of accounting (Contabilidad)")
    environment: Literal["development", "production"] = Field(
        default="production", description="development: sign in by choosing RUTs, the token "
                                          "minted here with AUTH_SECRET; production (the "
                                          "default, as for the services): a bearer token from "
                                          "the identity provider")
    auth_secret: str = Field(default=DEVELOPMENT_SECRET, min_length=32,
                             description="the services' AUTH_SECRET: signs development tokens")
    session_idle_minutes: int = Field(default=8 * 60, ge=1,
                                      description="a session unused this long is forgotten")
    max_sessions: int = Field(default=10_000, ge=1)
    cookie_secure: bool | None = Field(
        default=None, description="Secure flag of the session cookie; default: on outside "
                                  "development (serve the console over HTTPS there)")
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    confirm_timeout_seconds: float = Field(
        default=900.0, gt=0, description="Confirmar posts a whole sync in one request")
    page_size: int = Field(default=50, ge=1, le=500,
                           description="documents per page in review, comprobantes in the "
                                       "libro diario")
    log_level: str = "INFO"

    # Only an explicit ENVIRONMENT=development opens the choose-your-RUTs sign-in: a console
    # deployed without settings must not mint tokens for whoever asks.
    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def secure_cookie(self) -> bool:
        return (not self.development) if self.cookie_secure is None else self.cookie_secure
