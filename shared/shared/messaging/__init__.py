"""RabbitMQ plumbing: one durable topic exchange, a quorum queue per consumer with a
dead-letter queue and a delivery limit, publishing with confirms, batch consumers."""

from shared.messaging.consumer import Consumer, Delivery
from shared.messaging.publisher import OutgoingMessage, Publisher
from shared.messaging.topology import SUBSCRIPTIONS, Topology

__all__ = ["Consumer", "Delivery", "OutgoingMessage", "Publisher", "SUBSCRIPTIONS", "Topology"]
