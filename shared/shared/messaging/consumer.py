"""A consumer that validates, batches, and acks only after its handler has committed.

Poison messages (not JSON, not a CloudEvent, breaking their contract) never reach the
handler, so nothing of them is applied: they go to the dead-letter queue at once. A
handler failure requeues the message until its last allowed delivery (the quorum queue
counts deliveries in ``x-delivery-count``), which is dead-lettered instead. We dead-letter
by publishing a copy (with confirms) that says why — ``x-error``, ``x-consumer``,
``x-original-routing-key``, ``x-dead-lettered-at`` — and only then ack the original, so
an operator sees the reason (see shared.messaging.dead_letters). If that publish fails,
the broker's own delivery-limit dead-lettering remains the backstop. A failing batch is
retried one message at a time, so one bad message cannot hold back the others.

An event is accepted only from the broker user of the service that owns its type
(shared.messaging.access): the AMQP ``user_id``, which RabbitMQ checks against the
publishing connection, must be that user; anything else is dead-lettered with the reason
and never reaches the handler. Our own dead letters and replays are published by this
consumer's user, so they carry the verified original publisher in ``x-published-by``,
which is believed only on a message whose ``user_id`` is this consumer's own user.

A handler that fails because a dependency is unreachable (its database refusing
connections, accounting's API down: shared.unavailable) is not the message's fault: the
consumer keeps the batch, waits with capped exponential backoff and calls the handler
again, in-process, until it succeeds. Nothing is nacked meanwhile, so the quorum queue's
delivery count does not grow and an outage of any length dead-letters nothing; no new
batch is taken while it waits. Stopping (or the broker dropping the channel) ends the wait
and leaves the batch unacked for the broker to deliver again.
"""

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from pydantic import ValidationError

from shared.events import CloudEvent, Contract, UnknownEventType, parse_event
from shared.messaging.access import login_of, owner_of
from shared.messaging.topology import Topology
from shared.observability.correlation import correlation, valid_correlation_id
from shared.observability.metrics import (
    CONSUMER_WAITING,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
)
from shared.unavailable import is_unavailable

log = logging.getLogger(__name__)

# Headers of a message we dead-letter (read back by shared.messaging.dead_letters).
ERROR_HEADER = "x-error"
CONSUMER_HEADER = "x-consumer"
ORIGINAL_ROUTING_KEY_HEADER = "x-original-routing-key"
DEAD_LETTERED_AT_HEADER = "x-dead-lettered-at"
# Who published the original, as the broker verified it: set by our own consumer (dead
# letters) and replay, whose messages carry our own user_id; forged anywhere else.
PUBLISHED_BY_HEADER = "x-published-by"
MAX_ERROR_LENGTH = 2000
DEAD_LETTER_TIMEOUT = 15.0
# Longest pause between two tries of a batch while a dependency is unreachable.
MAX_UNAVAILABLE_DELAY = 30.0


class _Abandoned(Exception):
    """The consumer stopped, or the channel closed, while a batch waited for a dependency:
    the batch is left unacked, and the broker delivers it again."""


@dataclass(frozen=True)
class Delivery:
    event: CloudEvent
    payload: Contract
    redelivered: bool = False


Handler = Callable[[list[Delivery]], Awaitable[None]]


def _shared_correlation_id(deliveries: list[Delivery]) -> str | None:
    """The batch's correlation id when its events share one (a sync's documents do);
    a mixed batch logs under none rather than under one of them."""
    ids = {d.event.correlationid for d in deliveries}
    return ids.pop() if len(ids) == 1 else None


def _on_open_channels(
    messages: list[AbstractIncomingMessage],
) -> list[AbstractIncomingMessage]:
    """Drop messages delivered on a channel that has since closed (a broker restart):
    they cannot be acked, and the broker delivers them again on the new channel."""
    alive = []
    for message in messages:
        try:
            message.channel  # noqa: B018 - raises once the delivering channel is closed
        except ChannelInvalidStateError:
            continue
        alive.append(message)
    return alive


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
        batch_bytes: int | None = None,
        max_in_flight: int = 1,
        max_unavailable_delay: float = MAX_UNAVAILABLE_DELAY,
    ):
        self._url = amqp_url
        self._user = login_of(amqp_url)
        self._topology = topology
        self._name = consumer_name
        self._bindings = bindings
        self._handler = handler
        self._batch_size = batch_size
        self._batch_wait = batch_wait
        # A batch also ends once its bodies reach this size: a few large messages (pages of
        # documents) make a batch as well as many small ones, and bound its memory.
        self._batch_bytes = batch_bytes
        # Batches whose handler may run at once (the next one is handled while the one
        # before waits on I/O); they are still settled (acked) one after the other, in order.
        self._max_in_flight = max_in_flight
        self._in_flight: deque[asyncio.Task] = deque()
        self._failure: BaseException | None = None
        self._closing = False
        self._prefetch = prefetch or max(batch_size * 2, 10)
        self._retry_delay = retry_delay
        self._max_unavailable_delay = max(max_unavailable_delay, retry_delay)
        self._stopping = asyncio.Event()
        # Once a batch was abandoned, later batches ack message by message: a multiple-ack
        # would also ack the abandoned, unhandled messages before them.
        self._ack_singly = False
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._connection: AbstractRobustConnection | None = None
        self._dead_letters: AbstractExchange | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self.ready = asyncio.Event()

    @property
    def is_consuming(self) -> bool:
        """Subscribed to its queue, connected right now, and its loop still running.

        A robust connection is not "closed" while it reconnects (RabbitMQ down): whether
        it is up now is ``connected`` (issue 12: /readyz said the broker was fine while
        RabbitMQ was down, 8 probes of 8)."""
        return (self.ready.is_set() and self._task is not None and not self._task.done()
                and self._connection is not None and not self._connection.is_closed
                and self._connection.connected.is_set())

    async def check(self, patience: float = 3.0) -> None:
        """For /readyz: raise unless consuming and the broker answers now. A connection
        the broker stopped answering on without closing it still looks connected until
        heartbeats time out (a minute), so this asks the broker something (it opens and
        closes a channel) and gives up after ``patience`` seconds."""
        if not self.is_consuming:
            raise ConnectionError(f"{self._name} is not connected to RabbitMQ"
                                  + (" (reconnecting)" if self.ready.is_set() else ""))
        assert self._connection is not None
        try:
            async with asyncio.timeout(patience):
                channel = await self._connection.channel(publisher_confirms=False)
                await channel.close()
        except TimeoutError:
            raise ConnectionError(f"RabbitMQ did not answer {self._name} within "
                                  f"{patience:g} s") from None
        except (AMQPError, ChannelInvalidStateError, ConnectionError, RuntimeError) as error:
            # The connection went while asking (aio-pika says "closed" with RuntimeError).
            raise ConnectionError(f"RabbitMQ is not reachable from {self._name}: "
                                  f"{error.__class__.__name__}: {error}") from None

    async def stop(self) -> None:
        """Let the batch in hand finish (handled and acked), then end ``run()``.

        Whatever was prefetched but not acked goes back to the queue when the
        connection closes: nothing is lost.
        """
        if self._task is None or self._task.done():
            return
        self._stopping.set()  # a batch waiting for a dependency gives up its wait
        while not self._idle.is_set():
            await self._idle.wait()
        # No await between the check and the cancel: run() is parked waiting for messages.
        self._task.cancel()
        await asyncio.wait([self._task])

    async def run(self) -> None:
        self._task = asyncio.current_task()
        self._closing, self._failure = False, None
        self._stopping.clear()
        self._ack_singly = False
        self._connection = await aio_pika.connect_robust(self._url)
        try:
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=self._prefetch)
            queue = await self._topology.declare_queue(channel, self._name, self._bindings)
            self._dead_letters = await self._dead_letter_exchange()
            await queue.consume(self._inbox.put)
            self.ready.set()
            await self._run_pipelined()  # max_in_flight=1 is one batch at a time
        finally:
            self._closing = True
            for task in self._in_flight:
                task.cancel()
            await self._connection.close()

    def _dropped(self, batch: list[AbstractIncomingMessage], error: Exception) -> None:
        # The connection dropped with the batch in hand, so it cannot be acked: the broker
        # redelivers what was not acked once the robust connection is back, and handlers
        # are idempotent. Dying here would stop consuming.
        log.warning("the broker connection dropped while %s handled %d messages; "
                    "they will be redelivered: %r", self._name, len(batch), error)

    async def _run_pipelined(self) -> None:
        """Up to ``max_in_flight`` batches handled at once, each settled only after the
        one before it, so a multiple-ack never covers a message still being handled."""
        try:
            while True:
                while len(self._in_flight) >= self._max_in_flight:
                    await asyncio.wait({self._in_flight[0]})
                batch = _on_open_channels(await self._next_batch())
                if not batch:
                    continue
                self._idle.clear()
                before = self._in_flight[-1] if self._in_flight else None
                task = asyncio.create_task(self._process_after(batch, before))
                self._in_flight.append(task)
                task.add_done_callback(self._settled)
        except asyncio.CancelledError:
            if self._failure is not None:  # a batch's task failed: run() fails with it
                raise self._failure from None
            raise

    def _settled(self, task: asyncio.Task) -> None:
        self._in_flight.remove(task)
        if not self._in_flight:
            self._idle.set()
        if self._closing:  # run() cancelled it on its way out
            return
        failure = task.exception() if not task.cancelled() else asyncio.CancelledError()
        if failure is not None and self._failure is None and self._task is not None:
            self._failure = failure
            self._task.cancel()

    async def _process_after(self, messages: list[AbstractIncomingMessage],
                             before: asyncio.Task | None) -> None:
        try:
            good = await self._parse_all(messages)
            error = await self._call(good) if good else None
            if before is not None:
                await asyncio.wait({before})
            if good:
                await self._settle(good, error)
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as error:
            self._dropped(messages, error)

    async def _next_batch(self) -> list[AbstractIncomingMessage]:
        batch = [await self._inbox.get()]
        size = len(batch[0].body)
        limit = self._batch_bytes
        deadline = asyncio.get_running_loop().time() + self._batch_wait
        while len(batch) < self._batch_size and (limit is None or size < limit):
            if not self._inbox.empty():  # already here: no timer needed
                batch.append(self._inbox.get_nowait())
                size += len(batch[-1].body)
                continue
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._inbox.get(), remaining))
            except TimeoutError:
                break
            size += len(batch[-1].body)
        return batch

    async def _parse_all(self, messages: list[AbstractIncomingMessage]
                         ) -> list[tuple[AbstractIncomingMessage, Delivery]]:
        """The deliveries to handle; poison messages are dead-lettered on the way."""
        good: list[tuple[AbstractIncomingMessage, Delivery]] = []
        for message in messages:
            parsed = self._parse(message)
            if isinstance(parsed, str):
                with correlation(valid_correlation_id(message.correlation_id)):
                    await self._dead_letter_poison(message, parsed)
            else:
                good.append((message, parsed))
        return good

    async def _call(self, good: list[tuple[AbstractIncomingMessage, Delivery]]
                    ) -> Exception | None:
        """Run the handler on the batch, again and again while what it fails on is an
        unreachable dependency; the exception it raised otherwise, if any (``_Abandoned``
        when the consumer stopped or the channel closed meanwhile)."""
        deliveries = [d for _, d in good]
        attempt = 0
        while True:
            try:
                with correlation(_shared_correlation_id(deliveries)):
                    await self._handler(deliveries)
            except Exception as error:  # noqa: BLE001 - settled (retried) by _settle
                if not is_unavailable(error):
                    return error
                if not await self._wait_out(good, error, attempt):
                    return _Abandoned()
                attempt += 1
            else:
                return None

    async def _wait_out(self, good: list[tuple[AbstractIncomingMessage, Delivery]],
                        error: Exception, attempt: int) -> bool:
        """Pause before trying a batch again (capped exponential backoff); False if the
        consumer is stopping or the batch can no longer be acked (channel closed)."""
        delay = min(self._retry_delay * 2 ** attempt, self._max_unavailable_delay)
        log.warning("%s: a dependency is unavailable (%s: %s); keeping %d messages and "
                    "trying again in %.1fs (attempt %d; the delivery limit is not spent)",
                    self._name, error.__class__.__name__, str(error)[:300], len(good),
                    delay, attempt + 1)
        CONSUMER_WAITING.labels(self._name).inc()
        try:
            await asyncio.wait_for(self._stopping.wait(), delay)
        except TimeoutError:
            pass
        finally:
            CONSUMER_WAITING.labels(self._name).dec()
        if self._stopping.is_set() or len(_on_open_channels([m for m, _ in good])) < len(good):
            log.warning("%s: stopped waiting for the dependency; %d messages are left to the "
                        "broker to deliver again", self._name, len(good))
            self._ack_singly = True
            return False
        return True

    async def _settle(self, good: list[tuple[AbstractIncomingMessage, Delivery]],
                      error: Exception | None) -> None:
        """Ack a handled batch, or retry a failed one message by message."""
        if isinstance(error, _Abandoned):
            return
        if error is not None:
            if len(good) == 1:
                with correlation(good[0][1].event.correlationid):
                    await self._failed(*good[0], error)
                return
            log.warning("batch of %d failed; retrying one by one", len(good), exc_info=error)
            for message, delivery in good:
                with correlation(delivery.event.correlationid):
                    single_error = await self._call([(message, delivery)])
                    if isinstance(single_error, _Abandoned):
                        continue
                    if single_error is not None:
                        await self._failed(message, delivery, single_error)
                    else:
                        await message.ack()
                        self._consumed([delivery])
            return
        if self._ack_singly:
            for message, _ in good:
                await message.ack()
        else:
            # Deliveries reach us in tag order and earlier ones are all settled, so one
            # multiple-ack on the last settles exactly this batch.
            await good[-1][0].ack(multiple=True)
        self._consumed([d for _, d in good])

    def _consumed(self, deliveries: list[Delivery]) -> None:
        for event_type, count in Counter(d.event.type for d in deliveries).items():
            EVENTS_CONSUMED.labels(self._name, event_type).inc(count)

    def _last_delivery(self, message: AbstractIncomingMessage) -> bool:
        # Quorum queues count earlier deliveries in x-delivery-count (RabbitMQ 3.10 and
        # later) and dead-letter a message returned once more after the count reached
        # the limit: the delivery that sees count == limit is the last one.
        count = (message.headers or {}).get("x-delivery-count") or 0
        try:
            return int(count) >= self._topology.delivery_limit  # type: ignore[arg-type]  # caught
        except (TypeError, ValueError):
            return False

    async def _failed(self, message: AbstractIncomingMessage, delivery: Delivery,
                      error: Exception) -> None:
        if self._last_delivery(message):
            log.error("handling %s %s failed on its last allowed delivery; dead-lettering it",
                      delivery.event.type, delivery.event.id, exc_info=error)
            reason = f"{error.__class__.__name__}: {error}"
            if await self._publish_dead_letter(message, reason):
                await message.ack()
                return
            # The broker dead-letters it when the delivery limit is exceeded.
            await message.nack(requeue=True)
            return
        log.error(
            "handling %s %s failed; it is requeued until the delivery limit, then dead-lettered",
            delivery.event.type, delivery.event.id, exc_info=error,
        )
        await asyncio.sleep(self._retry_delay)
        await message.nack(requeue=True)

    async def _dead_letter_poison(self, message: AbstractIncomingMessage, reason: str) -> None:
        log.error("dead-lettering message %s on %s: it breaks its contract: %s",
                  message.message_id, self._name, reason)
        if await self._publish_dead_letter(message, reason):
            await message.ack()
        else:
            # Rejected without requeue, the broker dead-letters it itself (without a reason).
            await message.reject(requeue=False)
            EVENTS_DEAD_LETTERED.labels(self._name, message.routing_key or "").inc()

    async def _dead_letter_exchange(self) -> AbstractExchange:
        assert self._connection is not None
        # A channel of its own with confirms: a dead letter is acked only once stored.
        channel: AbstractChannel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True)
        return await self._topology.existing_dead_letter_exchange(channel)

    async def _publish_dead_letter(self, message: AbstractIncomingMessage, reason: str) -> bool:
        if self._dead_letters is None:
            return False
        headers = dict(message.headers or {})
        headers.pop("x-delivery-count", None)
        set_published_by(headers, published_by(message, self._user))
        headers.update({
            ERROR_HEADER: reason[:MAX_ERROR_LENGTH],
            CONSUMER_HEADER: self._name,
            ORIGINAL_ROUTING_KEY_HEADER: message.routing_key or "",
            DEAD_LETTERED_AT_HEADER: datetime.now(UTC).isoformat(timespec="milliseconds"),
        })
        copy = aio_pika.Message(
            message.body,
            headers=headers,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type=message.type,
            content_type=message.content_type,
            timestamp=message.timestamp,
            user_id=self._user,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self._dead_letters.publish(
                copy, routing_key=self._topology.queue_name(self._name), mandatory=True,
                timeout=DEAD_LETTER_TIMEOUT)
        except Exception:  # noqa: BLE001 - the broker's delivery limit is the backstop
            log.exception("could not dead-letter %s on %s; leaving it to the broker",
                          message.message_id, self._name)
            return False
        EVENTS_DEAD_LETTERED.labels(self._name, message.routing_key or "").inc()
        return True

    def _untrusted(self, message: AbstractIncomingMessage, event: CloudEvent) -> str | None:
        """Why the event must not be believed, or None when its owner published it."""
        owner = owner_of(event.type)
        expected = self._topology.user_name(owner) if owner else None
        sender = published_by(message, self._user)
        if expected is not None and sender == expected:
            return None
        if expected is None:
            return f"Forged: no service publishes event type {event.type!r}"
        return (f"Forged: event type {event.type!r} is published only by broker user "
                f"{expected!r}, but this message was published by "
                f"{repr(sender) if sender else 'a connection that set no user_id'}")

    def _parse(self, message: AbstractIncomingMessage) -> Delivery | str:
        """The delivery, or why the message breaks its contract."""
        try:
            event, payload = parse_event(message.body, message.type)
        except (ValidationError, UnknownEventType, ValueError) as error:
            return f"{error.__class__.__name__}: {error}"
        if (refused := self._untrusted(message, event)) is not None:
            return refused
        return Delivery(event=event, payload=payload, redelivered=bool(message.redelivered))


def published_by(message: AbstractIncomingMessage, own_user: str) -> str | None:
    """The broker user that published the original of ``message``, as verified.

    RabbitMQ checks ``user_id`` against the publishing connection's user. A message with
    our own user_id is one we published ourselves (a dead letter with its reason, or a
    replay): its ``x-published-by`` header, which we set, names the original publisher.
    """
    user = _text(message.user_id)
    if user is not None and user == own_user:
        return _text((message.headers or {}).get(PUBLISHED_BY_HEADER))
    return user


def set_published_by(headers: dict, publisher: str | None) -> None:
    """Stamp (or clear: a header someone else set must not survive) ``x-published-by``."""
    headers.pop(PUBLISHED_BY_HEADER, None)
    if publisher is not None:
        headers[PUBLISHED_BY_HEADER] = publisher


def _text(value: object) -> str | None:
    if value is None or value == b"" or value == "":
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
