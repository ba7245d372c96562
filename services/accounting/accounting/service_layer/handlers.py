"""Incoming events: each processed once (inbox claim in the same transaction)."""

import logging
from collections.abc import Awaitable, Callable

from accounting.service_layer.integration_requests import (
    on_integration_disconnected,
    on_integration_requested,
    on_integration_withdrawn,
)
from accounting.service_layer.manifests import on_sync_manifest_page
from accounting.service_layer.syncs import on_sync_completed, on_sync_refused
from accounting.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.events import (
    CloudEvent,
    Contract,
    IntegrationDisconnected,
    IntegrationRequested,
    IntegrationWithdrawn,
    SyncCompleted,
    SyncManifestPage,
    SyncRefused,
)

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]

HANDLERS: dict[type[Contract], Handler] = {
    IntegrationRequested: on_integration_requested,
    IntegrationWithdrawn: on_integration_withdrawn,
    IntegrationDisconnected: on_integration_disconnected,
    SyncRefused: on_sync_refused,
    SyncManifestPage: on_sync_manifest_page,
    SyncCompleted: on_sync_completed,
}


async def handle_events(uows: UnitOfWorkFactory, events: list[CloudEvent]) -> int:
    """Apply a batch of events in one transaction; redelivered ones change nothing.
    Returns how many of them were new.

    The events of sync sessions go session by session in id order, each session's in the
    order they arrived (a manifest page and sync.completed may come in either order and
    agree either way): taken in arrival order, a batch with events of two sessions locked
    them in the opposite order to an intake of proposals of both (which goes in id order,
    proposals.receive), and the two deadlocked (issue 12). The others (integration
    requests, which lock no session) go first, in arrival order."""
    async with uows() as uow:
        new = [await _handle(uow, event) for event in sorted(events, key=_session_of)]
        await uow.commit()
    return sum(new)


def _session_of(event: CloudEvent) -> str:
    """The sync session an event is about ("" for none): handle_events' order. sorted()
    is stable, so events of one session keep their arrival order."""
    sync_id = event.data.get("sync_id") if isinstance(event.data, dict) else None
    return str(sync_id) if sync_id else ""


async def handle_event(uows: UnitOfWorkFactory, event: CloudEvent) -> bool:
    """Handle one incoming event in a transaction of its own; False if it had already been
    processed."""
    return await handle_events(uows, [event]) == 1


async def _handle(uow: UnitOfWork, event: CloudEvent) -> bool:
    if not await uow.claim(event.id, event.type):
        log.info("event %s (%s) was already processed; skipped", event.id, event.type)
        return False
    payload = event.payload()
    handler = HANDLERS.get(type(payload))
    if handler is None:
        log.warning("no handler for %s; event %s acknowledged unchanged", event.type, event.id)
        return True
    await handler(uow, payload, correlation_id=event.correlationid)
    return True
