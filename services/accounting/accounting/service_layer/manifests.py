"""A sync's manifest: what invoicing says it sent, the reconciliation's other side.

Its documents arrive in pages (invoicing.sync.manifest.v1) and its totals with
sync.completed, in any order and perhaps more than once. Each document is stored once, a
row each; once every document sync.completed counts is stored, the totals become the
session's manifest (sync_sessions.manifest), so a session has a manifest only when whole.
Memory holds one page, however big the sync.
"""

import logging
from typing import Any

from accounting.service_layer.unit_of_work import UnitOfWork
from shared.events import SyncCompleted, SyncManifestPage

log = logging.getLogger(__name__)


async def on_sync_manifest_page(uow: UnitOfWork, event: SyncManifestPage,
                                *, correlation_id: str | None = None) -> None:
    if await uow.syncs.get_sync(event.sync_id) is None:
        log.warning("sync.manifest page %d for unknown sync session %s; ignored", event.page,
                    event.sync_id)
        return
    added = await uow.manifests.add_documents(event.sync_id, [
        {"document_key": d.document_key, "total": d.total, "issue_date": d.issue_date}
        for d in event.documents])
    if not added:
        return  # the page again: the manifest is as it was
    state = await uow.manifests.received(event.sync_id, added)
    if state.whole:
        await uow.syncs.update_sync(event.sync_id, manifest=state.session_manifest())


async def expect_manifest(uow: UnitOfWork, event: SyncCompleted) -> dict[str, Any] | None:
    """Record the totals and count of a manifest whose documents come in pages; the
    session's manifest if every document is here already, else None."""
    assert event.manifest is not None and event.manifest_pages is not None
    state = await uow.manifests.expected(
        event.sync_id, [line.model_dump(mode="json") for line in event.manifest.lines],
        event.document_count, event.manifest_pages)
    return state.session_manifest() if state.whole else None
