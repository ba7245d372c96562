"""The composition root: settings in, a wired worker out."""

import asyncio
from dataclasses import dataclass

from integration_worker.adapters.accounting_client import AccountingClient
from integration_worker.config import CONSUMER_NAME, Settings
from integration_worker.service_layer.proposals import ProposeEntries
from shared.background import Runtime
from shared.http.auth import ServiceToken
from shared.messaging import SUBSCRIPTIONS, Consumer

CONSUMER_READY_TIMEOUT = 30.0


class BackgroundTaskDied(RuntimeError):
    """A task the worker runs ended by itself: the process cannot go on and exits, so
    whatever runs it (Kubernetes, compose, `make run`) starts it again."""


@dataclass
class Worker:
    consumer: Consumer
    accounting: AccountingClient
    runtime: Runtime

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; then finish the batch in hand and close. A task
        that dies ends it too, raising BackgroundTaskDied naming it and why; until then
        /healthz says so (``runtime.dead``)."""
        try:
            await self.runtime.start()
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({stopping, *self.runtime.tasks},
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
            dead = self.runtime.dead()
            await self.runtime.stop()
            if dead:
                raise BackgroundTaskDied("; ".join(f"{name}: {why}"
                                                   for name, why in dead.items()))
        finally:
            await self.accounting.close()


def build_worker(settings: Settings, *, retry_backoff: float = 0.2) -> Worker:
    accounting = AccountingClient(
        settings.accounting_url,
        timeout=settings.http_timeout,
        retries=settings.http_retries,
        backoff=retry_backoff,
        patience=settings.http_patience,
        # Its own credential: the secret users' tokens are signed with cannot reach /internal.
        auth=ServiceToken(settings.worker_service_secret, sub=CONSUMER_NAME),
    )
    consumer = Consumer(
        settings.amqp_url,
        settings.topology,
        CONSUMER_NAME,
        SUBSCRIPTIONS[CONSUMER_NAME],
        ProposeEntries(accounting),
        batch_size=settings.batch_size,
        batch_bytes=settings.batch_bytes,
        prefetch=settings.prefetch,
        max_in_flight=settings.max_in_flight,
        batch_wait=0.05,
    )
    return Worker(consumer=consumer, accounting=accounting,
                  runtime=background_tasks(settings, consumer))


def background_tasks(settings: Settings, consumer: Consumer) -> Runtime:
    """The event consumer, the worker's one background task. It publishes nothing
    (accounting records what it proposes), so its runtime has no publisher."""
    runtime = Runtime(CONSUMER_NAME, None, settings.amqp_url,
                      ready_timeout=CONSUMER_READY_TIMEOUT)
    runtime.add_consumer(consumer)
    return runtime
