"""Names and declarations of the exchange, queues and dead-letter queues."""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

# Who listens to what (DESIGN.md §4). Every process declares all of these queues before
# it publishes, so an event emitted before its consumer first starts waits in its queue
# instead of being dropped as unroutable.
SUBSCRIPTIONS: dict[str, list[str]] = {
    "invoicing": [
        "accounting.integration.approved.v1",
        "accounting.integration.rejected.v1",
        "accounting.integration.conflicted.v1",
        "accounting.integration.conflict-resolved.v1",
        "accounting.sync.requested.v1",
    ],
    "accounting": [
        "invoicing.integration.requested.v1",
        "invoicing.integration.withdrawn.v1",
        "invoicing.integration.disconnected.v1",
        "invoicing.sync.manifest.v1",
        "invoicing.sync.completed.v1",
        "invoicing.sync.refused.v1",
    ],
    "integration-worker": [
        "invoicing.invoice.synced.v1",
        "invoicing.invoices.synced.v1",
        "invoicing.payment.recorded.v1",
        "accounting.settings.changed.v1",
    ],
}


@dataclass(frozen=True)
class Topology:
    """Where events go. Tests pass a unique exchange name and queue prefix per run."""

    exchange: str = "dte.events"
    queue_prefix: str = ""
    delivery_limit: int = 5

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dlx"

    def queue_name(self, consumer: str) -> str:
        return f"{self.queue_prefix}{consumer}"

    def dead_letter_queue_name(self, consumer: str) -> str:
        return f"{self.queue_name(consumer)}.dlq"

    async def declare_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def declare_queue(
        self, channel: AbstractChannel, consumer: str, bindings: list[str]
    ) -> AbstractQueue:
        """The consumer's quorum queue bound to its event types, and its dead-letter queue."""
        exchange = await self.declare_exchange(channel)
        dlx = await channel.declare_exchange(
            self.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )
        name = self.queue_name(consumer)
        dlq = await channel.declare_queue(
            self.dead_letter_queue_name(consumer),
            durable=True,
            arguments={"x-queue-type": "quorum"},
        )
        await dlq.bind(dlx, routing_key=name)
        queue = await channel.declare_queue(
            name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": self.dead_letter_exchange,
                "x-dead-letter-routing-key": name,
                "x-delivery-limit": self.delivery_limit,
            },
        )
        for routing_key in bindings:
            await queue.bind(exchange, routing_key=routing_key)
        return queue

    async def declare_all(self, channel: AbstractChannel) -> None:
        for consumer, bindings in SUBSCRIPTIONS.items():
            await self.declare_queue(channel, consumer, bindings)
