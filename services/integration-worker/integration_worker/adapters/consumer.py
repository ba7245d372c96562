"""The shared batch consumer, with a stop that lets the batch in hand finish first."""

import asyncio

from aio_pika.abc import AbstractIncomingMessage

from shared.messaging import Consumer


class StoppableConsumer(Consumer):
    """``stop()`` waits until no batch is being handled or acked, then cancels ``run()``.

    Cancelled while waiting for messages, the consumer closes its connection and the
    broker requeues whatever it had prefetched but not acked: nothing is lost.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._idle = asyncio.Event()
        self._idle.set()

    async def _process(self, messages: list[AbstractIncomingMessage]) -> None:
        self._idle.clear()
        try:
            await super()._process(messages)
        finally:
            self._idle.set()

    async def stop(self, task: asyncio.Task) -> None:
        while not self._idle.is_set():
            await self._idle.wait()
        # No await between the check and the cancel: run() is parked waiting for messages.
        task.cancel()
        await asyncio.wait([task])  # unlike `await task`, leaves a cancel of stop() itself alone
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()
