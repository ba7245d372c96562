"""Look into a consumer's dead-letter queue and replay a message from it.

Listing must not lose or reorder anything: messages are fetched with basic.get without
acking them, and handed back by closing the channel. Closing (rather than nacking each
with requeue) puts them back at the head of the quorum queue in their order, and — on
RabbitMQ 4, where quorum queues have a default delivery limit — is not counted as a
failed delivery. A message held by one listing is invisible to another for that moment.

Replaying publishes a copy straight to the consumer's own queue (the default exchange,
routing key = queue name) with confirms, then acks the dead letter. Publishing through
the topic exchange would hand a second copy to every other subscriber of that event type,
which already processed it; the original routing key stays in a header and ``type``.
The copy is published by this consumer's own broker user (RabbitMQ allows no other
``user_id``), so it names the original publisher, as verified, in ``x-published-by``:
the consumer then checks the owner of the event type exactly as on the first delivery.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from aiormq.exceptions import ChannelNotFoundEntity

from shared.messaging.access import login_of
from shared.messaging.consumer import (
    CONSUMER_HEADER,
    DEAD_LETTERED_AT_HEADER,
    ERROR_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    published_by,
    set_published_by,
)
from shared.messaging.topology import Topology

log = logging.getLogger(__name__)

REPLAYED_AT_HEADER = "x-replayed-at"
# How far a replay searches the queue for the message id.
DEFAULT_SCAN_LIMIT = 10_000
_OUR_HEADERS = (ERROR_HEADER, CONSUMER_HEADER, DEAD_LETTERED_AT_HEADER, "x-death",
                "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
                "x-delivery-count")


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    event_type: str | None
    error: str
    consumer: str
    original_routing_key: str | None
    dead_lettered_at: datetime | None
    body: Any
    """The parsed JSON body, or the raw text when it is not JSON."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _first_death(headers: dict[str, Any]) -> dict[str, Any]:
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return deaths[0]
    return {}


def _describe(message: AbstractIncomingMessage, consumer: str) -> DeadLetter:
    headers = dict(message.headers or {})
    death = _first_death(headers)
    error = _text(headers.get(ERROR_HEADER))
    if error is None:
        # Dead-lettered by the broker itself (delivery limit exceeded, or rejected).
        reason = _text(death.get("reason")) or "unknown"
        error = f"dead-lettered by the broker: {reason}"
    routing_key = _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
    if routing_key is None:
        keys = death.get("routing-keys") or []
        routing_key = _text(keys[0]) if keys else None
    when: datetime | None = None
    stamp = _text(headers.get(DEAD_LETTERED_AT_HEADER))
    if stamp:
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:
            when = None
    elif isinstance(death.get("time"), datetime):
        when = death["time"]
    raw = message.body.decode("utf-8", "replace")
    try:
        body: Any = json.loads(message.body)
    except ValueError:
        body = raw
    event_type = _text(message.type)
    if event_type is None and isinstance(body, dict) and isinstance(body.get("type"), str):
        event_type = body["type"]
    return DeadLetter(
        message_id=message.message_id,
        event_type=event_type,
        error=error,
        consumer=_text(headers.get(CONSUMER_HEADER)) or consumer,
        original_routing_key=routing_key or event_type,
        dead_lettered_at=when,
        body=body,
    )


class DeadLetters:
    """One consumer's dead-letter queue. Each call opens and closes its own connection:
    operators call this rarely, and a broker outage then fails one request, not a pool."""

    def __init__(self, amqp_url: str, topology: Topology, consumer_name: str, *,
                 timeout: float = 10.0):
        self._url = amqp_url
        self._user = login_of(amqp_url)
        self._topology = topology
        self._consumer = consumer_name
        self._timeout = timeout

    @property
    def queue_name(self) -> str:
        return self._topology.dead_letter_queue_name(self._consumer)

    async def _connect(self) -> AbstractConnection:
        return await aio_pika.connect(self._url, timeout=self._timeout)

    async def list(self, limit: int = 50) -> tuple[list[DeadLetter], int]:
        """Up to ``limit`` dead letters, oldest first, and how many the queue holds."""
        connection = await self._connect()
        try:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(self.queue_name, passive=True)
            except ChannelNotFoundEntity:
                return [], 0  # the consumer never ran here: nothing was dead-lettered
            total = queue.declaration_result.message_count or 0
            found: list[DeadLetter] = []
            while len(found) < limit:
                message = await queue.get(no_ack=False, fail=False, timeout=self._timeout)
                if message is None:
                    break
                found.append(_describe(message, self._consumer))
            # Closing returns every unacked message to the queue, in order.
            await channel.close()
            return found, total
        finally:
            await connection.close()

    async def replay(self, message_id: str, *, scan_limit: int = DEFAULT_SCAN_LIMIT) -> bool:
        """Send the dead letter back to its consumer's queue; False if it is not there."""
        connection = await self._connect()
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            try:
                queue = await channel.declare_queue(self.queue_name, passive=True)
            except ChannelNotFoundEntity:
                return False
            target: AbstractIncomingMessage | None = None
            for _ in range(scan_limit):
                message = await queue.get(no_ack=False, fail=False, timeout=self._timeout)
                if message is None:
                    break
                if message.message_id == message_id:
                    target = message
                    break
            if target is None:
                await channel.close()
                return False
            await self._republish(channel, target)
            await target.ack()
            log.info("replayed dead letter %s to %s", message_id,
                     self._topology.queue_name(self._consumer))
            await channel.close()
            return True
        finally:
            await connection.close()

    async def _republish(self, channel: AbstractChannel,
                         message: AbstractIncomingMessage) -> None:
        letter = _describe(message, self._consumer)
        headers = {k: v for k, v in (message.headers or {}).items() if k not in _OUR_HEADERS}
        set_published_by(headers, published_by(message, self._user))
        headers[REPLAYED_AT_HEADER] = datetime.now().astimezone().isoformat(
            timespec="milliseconds")
        if letter.original_routing_key:
            headers[ORIGINAL_ROUTING_KEY_HEADER] = letter.original_routing_key
        copy = aio_pika.Message(
            message.body,
            headers=headers,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type=message.type or letter.event_type,
            content_type=message.content_type,
            timestamp=message.timestamp,
            user_id=self._user,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await channel.default_exchange.publish(
            copy, routing_key=self._topology.queue_name(self._consumer), mandatory=True,
            timeout=self._timeout)
