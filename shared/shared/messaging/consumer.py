"""A consumer that validates, batches, and acks only after its handler has committed.

Poison messages (not JSON, not a CloudEvent, breaking their contract) are rejected
without requeue, so they go to the dead-letter queue at once. A handler failure requeues
the message; the quorum queue's delivery limit then dead-letters it. A failing batch is
retried one message at a time, so one bad message cannot hold back the others.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from pydantic import ValidationError

from shared.events import CloudEvent, Contract, UnknownEventType
from shared.messaging.topology import Topology

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    event: CloudEvent
    payload: Contract
    redelivered: bool = False


Handler = Callable[[list[Delivery]], Awaitable[None]]


class Consumer:
    def __init__(
        self,
        amqp_url: str,
        topology: Topology,
        consumer_name: str,
        bindings: list[str],
        handler: Handler,
        *,
        batch_size: int = 1,
        batch_wait: float = 0.02,
        prefetch: int | None = None,
        retry_delay: float = 0.5,
    ):
        self._url = amqp_url
        self._topology = topology
        self._name = consumer_name
        self._bindings = bindings
        self._handler = handler
        self._batch_size = batch_size
        self._batch_wait = batch_wait
        self._prefetch = prefetch or max(batch_size * 2, 10)
        self._retry_delay = retry_delay
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._connection: AbstractRobustConnection | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self.ready = asyncio.Event()

    async def stop(self) -> None:
        """Let the batch in hand finish (handled and acked), then end ``run()``.

        Whatever was prefetched but not acked goes back to the queue when the
        connection closes: nothing is lost.
        """
        if self._task is None or self._task.done():
            return
        while not self._idle.is_set():
            await self._idle.wait()
        # No await between the check and the cancel: run() is parked waiting for messages.
        self._task.cancel()
        await asyncio.wait([self._task])

    async def run(self) -> None:
        self._task = asyncio.current_task()
        self._connection = await aio_pika.connect_robust(self._url)
        try:
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=self._prefetch)
            queue = await self._topology.declare_queue(channel, self._name, self._bindings)
            await queue.consume(self._inbox.put)
            self.ready.set()
            while True:
                batch = await self._next_batch()
                self._idle.clear()
                try:
                    await self._process(batch)
                finally:
                    self._idle.set()
        finally:
            await self._connection.close()

    async def _next_batch(self) -> list[AbstractIncomingMessage]:
        batch = [await self._inbox.get()]
        deadline = asyncio.get_running_loop().time() + self._batch_wait
        while len(batch) < self._batch_size:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._inbox.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _process(self, messages: list[AbstractIncomingMessage]) -> None:
        good: list[tuple[AbstractIncomingMessage, Delivery]] = []
        for message in messages:
            delivery = self._parse(message)
            if delivery is None:
                await message.reject(requeue=False)
            else:
                good.append((message, delivery))
        if not good:
            return
        try:
            await self._handler([d for _, d in good])
        except Exception:
            if len(good) == 1:
                await self._requeue_failed(*good[0])
                return
            log.warning("batch of %d failed; retrying one by one", len(good), exc_info=True)
            for message, delivery in good:
                try:
                    await self._handler([delivery])
                except Exception:
                    await self._requeue_failed(message, delivery)
                else:
                    await message.ack()
            return
        # Deliveries reach us in tag order and earlier ones are all settled, so one
        # multiple-ack on the last settles exactly this batch.
        await good[-1][0].ack(multiple=True)

    async def _requeue_failed(self, message: AbstractIncomingMessage, delivery: Delivery) -> None:
        log.exception(
            "handling %s %s failed; it is requeued until the delivery limit, then dead-lettered",
            delivery.event.type,
            delivery.event.id,
        )
        await asyncio.sleep(self._retry_delay)
        await message.nack(requeue=True)

    def _parse(self, message: AbstractIncomingMessage) -> Delivery | None:
        try:
            event = CloudEvent.model_validate_json(message.body)
            payload = event.payload()
        except (ValidationError, UnknownEventType, ValueError) as error:
            log.error(
                "dead-lettering message %s on %s: it breaks its contract: %s",
                message.message_id,
                self._name,
                error,
            )
            return None
        return Delivery(event=event, payload=payload, redelivered=bool(message.redelivered))
