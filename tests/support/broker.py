"""Reading what the services publish, from a probe queue of the test's own."""

from collections.abc import Callable

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from shared.events import CloudEvent, Contract


async def first_messages(queue: AbstractQueue, wanted: Callable[[Contract], bool],
                         count: int) -> list[AbstractIncomingMessage]:
    """The first ``count`` messages (acked) whose payload is ``wanted``; the others are
    acked and passed over (other tests of the run publish on the same exchange, poison
    included). A minute without a message raises TimeoutError."""
    found: list[AbstractIncomingMessage] = []
    async with queue.iterator(timeout=60) as messages:
        async for message in messages:
            await message.ack()
            try:
                payload = CloudEvent.model_validate_json(message.body).payload()
            except ValueError:
                continue
            if wanted(payload):
                found.append(message)
            if len(found) == count:
                return found
    return found
