"""Names and declarations of the exchange, queues and dead-letter queues."""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

# Who listens to what (DESIGN.md §4). The operator's definitions (deploy/rabbitmq, or the
# set-up of `make run` and the tests) declare all of these queues before any service
# starts, so an event emitted before its consumer first starts waits in its queue; a
# service may declare only its own queue (shared.messaging.access).
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
        "invoicing.payments.synced.v1",
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

    def user_name(self, service: str) -> str:
        """The broker user ``service`` connects as (prefixed like its queue)."""
        return f"{self.queue_prefix}{service}"

    async def declare_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def declare_dead_letter_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(
            self.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )

    async def event_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        """The existing event exchange (a passive declaration: the services may not
        create or delete exchanges; the definitions do)."""
        return await channel.declare_exchange(self.exchange, passive=True)

    async def existing_dead_letter_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        return await channel.declare_exchange(self.dead_letter_exchange, passive=True)

    async def declare_queue(
        self, channel: AbstractChannel, consumer: str, bindings: list[str]
    ) -> AbstractQueue:
        """The consumer's quorum queue bound to its event types, and its dead-letter queue,
        on the existing exchanges."""
        exchange = await self.event_exchange(channel)
        dlx = await self.existing_dead_letter_exchange(channel)
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
        """Everything, exchanges included: what the definitions hold (an operator's job)."""
        await self.declare_exchange(channel)
        await self.declare_dead_letter_exchange(channel)
        for consumer, bindings in SUBSCRIPTIONS.items():
            await self.declare_queue(channel, consumer, bindings)
