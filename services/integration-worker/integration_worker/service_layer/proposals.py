"""The use case: a batch of events in, one batch of proposals handed to accounting."""

import logging
from collections import Counter
from datetime import UTC, datetime

from integration_worker.domain import Hold, propose, propose_payment
from integration_worker.domain.payments import source_key
from integration_worker.service_layer.ports import AccountingApi
from shared.events import (
    InvoicesSynced,
    InvoiceSynced,
    PaymentRecorded,
    SettingsChanged,
    TaxDocument,
)
from shared.internal_api import (
    NOTHING_TO_POST,
    PostingProfile,
    Proposal,
    ProposalBatch,
    ProposalResult,
)
from shared.messaging import Delivery
from shared.observability.correlation import correlation, current_correlation_id
from shared.observability.metrics import WORKER_BATCH_SIZE, WORKER_POSTING_LATENCY

log = logging.getLogger(__name__)

# The internal API's maximum (ProposalBatch): fewer, larger requests cost accounting less.
MAX_PROPOSALS_PER_REQUEST = 2000


class ProposeEntries:
    """Handles a batch of deliveries; raising makes the consumer retry them.

    Posting profiles are cached per company RUT for the life of the process and dropped
    when accounting says the company's settings changed.
    """

    def __init__(self, accounting: AccountingApi):
        self._accounting = accounting
        self._profiles: dict[str, PostingProfile] = {}

    async def __call__(self, deliveries: list[Delivery]) -> None:
        WORKER_BATCH_SIZE.observe(len(deliveries))
        proposals: list[Proposal] = []
        sent_at: list[datetime] = []  # each proposal's event time, for the posting latency
        for delivery in deliveries:
            payload = delivery.payload
            if isinstance(payload, SettingsChanged):
                self._profiles.pop(payload.company_rut, None)
                continue
            if isinstance(payload, InvoicesSynced):
                # A page of a sync: every document shares the page's event id (for tracing;
                # accounting keeps each proposal once per (sync_id, source_key)).
                for document in payload.documents:
                    proposals.append(await self._proposal(delivery.event.id, payload.sync_id,
                                                          document))
                sent_at.extend([delivery.event.time] * len(payload.documents))
                continue
            if isinstance(payload, InvoiceSynced):
                proposals.append(await self._proposal(delivery.event.id, payload.sync_id,
                                                      payload.document))
            elif isinstance(payload, PaymentRecorded):
                proposals.append(await self._payment_proposal(delivery.event.id, payload))
            else:
                log.warning("ignoring %s %s: not an event this worker handles",
                            delivery.event.type, delivery.event.id)
                continue
            sent_at.append(delivery.event.time)
        for start in range(0, len(proposals), MAX_PROPOSALS_PER_REQUEST):
            chunk = proposals[start:start + MAX_PROPOSALS_PER_REQUEST]
            with correlation(_correlation_of(chunk)):
                result = await self._accounting.submit(ProposalBatch(proposals=chunk))
            accepted = datetime.now(UTC)
            for time in sent_at[start:start + MAX_PROPOSALS_PER_REQUEST]:
                time = time if time.tzinfo else time.replace(tzinfo=UTC)
                WORKER_POSTING_LATENCY.observe(max((accepted - time).total_seconds(), 0.0))
            self._log_handed(chunk, result)

    @staticmethod
    def _log_handed(chunk: list[Proposal], result: ProposalResult) -> None:
        syncs = Counter(p.sync_id for p in chunk if p.sync_id is not None)
        if current_correlation_id() is not None or not syncs:
            log.info("handed %d proposals to accounting: %d new, %d already there",
                     len(chunk), result.accepted, result.duplicates)
            return
        # A batch of mixed events (several syncs, live documents) runs under no one
        # correlation id: a line for each sync, under its id, so it can still be followed.
        for sync_id, count in syncs.items():
            with correlation(sync_id):
                log.info("handed %d proposals of sync %s to accounting, in a request of %d: "
                         "%d new, %d already there", count, sync_id, len(chunk),
                         result.accepted, result.duplicates)

    async def _proposal(self, event_id: str, sync_id: str | None,
                        document: TaxDocument) -> Proposal:
        outcome = propose(document, await self._profile(document.company_rut))
        return Proposal(
            event_id=event_id,
            sync_id=sync_id,
            company_rut=document.company_rut,
            source_key=document.document_key,
            document=document,
            entry=None if isinstance(outcome, Hold) else outcome,
            hold_reason=outcome.reason if isinstance(outcome, Hold) else None,
            hold_code=(NOTHING_TO_POST if isinstance(outcome, Hold) and outcome.nothing_to_post
                       else None),
        )

    async def _payment_proposal(self, event_id: str, event: PaymentRecorded) -> Proposal:
        # Payments are live: they belong to no sync session.
        outcome = propose_payment(event, await self._profile(event.company_rut))
        return Proposal(
            event_id=event_id,
            sync_id=None,
            company_rut=event.company_rut,
            source_key=source_key(event),
            payment=event,
            entry=None if isinstance(outcome, Hold) else outcome,
            hold_reason=outcome.reason if isinstance(outcome, Hold) else None,
        )

    async def _profile(self, company_rut: str) -> PostingProfile:
        profile = self._profiles.get(company_rut)
        if profile is None:
            profile = await self._accounting.posting_profile(company_rut)
            self._profiles[company_rut] = profile
        return profile


def _correlation_of(chunk: list[Proposal]) -> str | None:
    """The id accounting's side of this request is logged under: the batch's own, or the
    sync's when every proposal of the request belongs to one sync."""
    syncs = {p.sync_id for p in chunk}
    if current_correlation_id() is None and len(syncs) == 1:
        return syncs.pop()
    return current_correlation_id()
