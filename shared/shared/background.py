"""Background tasks of a service process (outbox relay, event consumer): what both API
services do to watch them."""

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


def log_if_failed(task: asyncio.Task) -> None:
    """A done-callback: a task that ends with an error says so in the log."""
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s stopped", task.get_name(), exc_info=task.exception())


def ensure_running(tasks: Iterable[asyncio.Task]) -> None:
    """For /readyz: raise naming the first background task that has stopped."""
    for task in tasks:
        if task.done():
            raise RuntimeError(f"background task {task.get_name()} has stopped")
