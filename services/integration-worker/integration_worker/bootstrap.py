"""The composition root: settings in, a wired worker out."""

import asyncio
from dataclasses import dataclass

from integration_worker.adapters.accounting_client import AccountingClient
from integration_worker.config import CONSUMER_NAME, Settings
from integration_worker.service_layer.proposals import ProposeEntries
from shared.http.auth import ServiceToken
from shared.messaging import SUBSCRIPTIONS, Consumer


@dataclass
class Worker:
    consumer: Consumer
    accounting: AccountingClient

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; then finish the batch in hand and close."""
        task = asyncio.create_task(self.consumer.run(), name=CONSUMER_NAME)
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # the consumer died: raise why
            await self.consumer.stop()
        finally:
            stopping.cancel()
            if not task.done():
                task.cancel()
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
    return Worker(consumer=consumer, accounting=accounting)
