"""Waiting for a sync session to move on: a front-end's GET /v1/syncs/{id}?wait= waits
here instead of polling. What changes a session in this process (intake, the consumer's
events) rings its bell once committed; a waiter also looks again every RECHECK_SECONDS,
for what another replica changed. A waiter holds no database connection while it waits."""

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

RECHECK_SECONDS = 10.0


@dataclass
class Bell:
    _event: asyncio.Event = field(default_factory=asyncio.Event)
    _listeners: int = 0

    async def wait(self, seconds: float) -> None:
        """Until it rings or ``seconds`` pass (at most RECHECK_SECONDS)."""
        try:
            async with asyncio.timeout(min(seconds, RECHECK_SECONDS)):
                await self._event.wait()
        except TimeoutError:
            pass


class SyncMoves:
    """Per-session bells, kept only while someone listens."""

    def __init__(self) -> None:
        self._bells: dict[str, Bell] = {}

    def ring(self, sync_ids: Iterable[str]) -> None:
        for sync_id in sync_ids:
            bell = self._bells.pop(str(sync_id), None)
            if bell is not None:
                bell._event.set()

    @contextmanager
    def listening(self, sync_id: str) -> Iterator[Bell]:
        """The session's bell, listened to from now: read the session after this, so a
        change committed meanwhile rings a bell already heard."""
        bell = self._bells.setdefault(sync_id, Bell())
        bell._listeners += 1
        try:
            yield bell
        finally:
            bell._listeners -= 1
            if not bell._listeners and self._bells.get(sync_id) is bell:
                del self._bells[sync_id]

    def __len__(self) -> int:
        return len(self._bells)
