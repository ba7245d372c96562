"""Incoming events: each processed once (inbox claim in the same transaction)."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from accounting.adapters.tables import processed_messages
from accounting.service_layer.integration_requests import (
    on_integration_disconnected,
    on_integration_requested,
    on_integration_withdrawn,
)
from accounting.service_layer.manifests import on_sync_manifest_page
from accounting.service_layer.syncs import on_sync_completed, on_sync_refused
from accounting.service_layer.unit_of_work import Services, UnitOfWork
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
from shared.inbox import claim

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


async def handle_events(services: Services, events: list[CloudEvent]) -> None:
    """Apply a batch of events in one transaction; redelivered ones change nothing.

    The events of sync sessions go session by session in id order, each session's in the
    order they arrived (a manifest page and sync.completed may come in either order and
    agree either way): taken in arrival order, a batch with events of two sessions locked
    them in the opposite order to an intake of proposals of both (which goes in id order,
    proposals.receive), and the two deadlocked (issue 12). The others (integration
    requests, which lock no session) go first, in arrival order."""
    async with services.uow() as uow:
        for event in sorted(events, key=_session_of):
            await _handle(uow, event)
        await uow.commit()


def _session_of(event: CloudEvent) -> str:
    """The sync session an event is about ("" for none): handle_events' order. sorted()
    is stable, so events of one session keep their arrival order."""
    sync_id = event.data.get("sync_id") if isinstance(event.data, dict) else None
    return str(sync_id) if sync_id else ""


async def handle_event(services: Services, payload: Contract, **envelope: Any) -> CloudEvent:
    """Handle one typed payload as if it had arrived; returns the envelope used."""
    event = CloudEvent.wrap(payload)
    if envelope:
        event = event.model_copy(update=envelope)
    await handle_events(services, [event])
    return event


async def _handle(uow: UnitOfWork, event: CloudEvent) -> None:
    if not await claim(uow.session, processed_messages, event.id, event.type):
        log.info("event %s (%s) was already processed; skipped", event.id, event.type)
        return
    payload = event.payload()
    handler = HANDLERS.get(type(payload))
    if handler is None:
        log.warning("no handler for %s; event %s acknowledged unchanged", event.type, event.id)
        return
    await handler(uow, payload, correlation_id=event.correlationid)
