"""Settings of the accounting process, from the environment."""

from pydantic import Field

from shared.settings import WorkerCredentialSettings

DEFAULT_DATABASE_URL = "sqlite:///var/accounting.db"


class Settings(WorkerCredentialSettings):
    database_url: str = Field(default=DEFAULT_DATABASE_URL,
                              description="plain URL: postgresql://… or sqlite:///…")
    consumer_name: str = "accounting"
    consumer_batch_size: int = 50
    # Documents confirm posts per transaction (and per EntriesPosted event).
    confirm_page_size: int = Field(default=2_000, ge=1, le=10_000)
    # An open sync session with no progress for this long shows as "stalled", with why.
    sync_stall_seconds: float = Field(
        default=300.0, gt=0, description="seconds without progress (no document received, "
        "no page of its confirm posted) after which an open sync session shows as stalled")
    confirm_lease_seconds: float = Field(
        default=30.0, gt=0, description="seconds without a page posted after which a confirm "
        "is taken as interrupted (its process died) and resumed by a running replica")
