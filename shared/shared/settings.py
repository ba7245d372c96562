"""Settings every process reads from the environment (pydantic-settings)."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.http.auth import DEVELOPMENT_SECRET
from shared.messaging.topology import Topology


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

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
    auth_secret: str = Field(
        default=DEVELOPMENT_SECRET, min_length=32,
        description="HS256 key of the bearer tokens; set your own outside development",
    )

    @property
    def uses_development_secret(self) -> bool:
        return self.auth_secret == DEVELOPMENT_SECRET

    @property
    def topology(self) -> Topology:
        return Topology(self.event_exchange, self.queue_prefix, self.delivery_limit)
