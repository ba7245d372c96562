"""Settings every process reads from the environment (pydantic-settings)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.topology import Topology


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    amqp_url: str = "amqp://guest:guest@localhost:5672/"
    event_exchange: str = Field(default="dte.events", description="the topic exchange")
    queue_prefix: str = Field(default="", description="prefix of this deployment's queues")
    delivery_limit: int = 5
    log_level: str = "INFO"

    @property
    def topology(self) -> Topology:
        return Topology(self.event_exchange, self.queue_prefix, self.delivery_limit)
