"""The worker's settings, from the environment."""

from pydantic import Field

from shared.settings import WorkerCredentialSettings

CONSUMER_NAME = "integration-worker"


class Settings(WorkerCredentialSettings):
    accounting_url: str = Field(
        default="http://127.0.0.1:8002", description="base URL of the accounting service"
    )
    batch_size: int = Field(default=200, ge=1, description="events handled per batch")
    batch_bytes: int = Field(
        default=1_200_000, ge=1,
        description="a batch also ends once its messages reach this many bytes: about four "
                    "pages of 500 documents, i.e. 2,000 proposals (one request to accounting)")
    prefetch: int = Field(
        default=64, ge=1,
        description="messages the broker may send ahead of acks; bounds memory, since a "
                    "page of a sync is ~300 kB")
    max_in_flight: int = Field(
        default=2, ge=1, le=4,
        description="batches handled at once: the next is prepared while accounting stores "
                    "the one before; acks still go in order, after accounting accepted")
    http_timeout: float = Field(default=10.0, gt=0, description="seconds per HTTP request")
    http_retries: int = Field(default=3, ge=0, description="retries of a transient failure")
    http_patience: float = Field(
        default=120.0, ge=0,
        description="seconds the HTTP client keeps retrying a failing request; then an "
                    "unreachable or 503 accounting is waited out by the consumer (no requeue, "
                    "no delivery spent), and a 500 requeues the message")
    # The operator endpoints (/healthz, /readyz, /v1/dead-letters); loopback by default.
    worker_http_host: str = Field(default="127.0.0.1", description="WORKER_HTTP_HOST")
    worker_http_port: int = Field(default=8003, ge=0, le=65535,
                                  description="WORKER_HTTP_PORT; 0 picks a free port")
