"""The use case: a batch of events in, one batch of proposals handed to accounting."""

import logging
from collections import Counter
from datetime import UTC, datetime

from integration_worker.domain import Hold, propose, propose_payment
from integration_worker.domain.payments import source_key
from integration_worker.service_layer.ports import AccountingApi, StaleSettings
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

# How many times a batch is built again because accounting said the settings it used
# changed meanwhile (each time with profiles fetched anew); more means they keep changing.
STALE_SETTINGS_ATTEMPTS = 5

# What a proposal is made from: (event id, sync id, document or payment, the event's time).
Source = tuple[str, str | None, TaxDocument | PaymentRecorded, datetime]


class ProposeEntries:
    """Handles a batch of deliveries; raising makes the consumer retry them.

    Posting profiles are cached per company RUT for the life of the process. Every batch
    handed to accounting says which settings version it was built with, and accounting
    refuses one built with a version that is no longer current (StaleSettings): the
    profiles it names are dropped, fetched again and the batch built again. That, not the
    settings.changed event, is what keeps a cache from posting with old accounts: the event
    goes to the queue the workers share, so only one of them hears it (issue 12). Hearing
    it still drops the profile at once, sparing that worker the refused request.
    """

    def __init__(self, accounting: AccountingApi):
        self._accounting = accounting
        self._profiles: dict[str, PostingProfile] = {}

    async def __call__(self, deliveries: list[Delivery]) -> None:
        WORKER_BATCH_SIZE.observe(len(deliveries))
        sources: list[Source] = []
        for delivery in deliveries:
            payload, event = delivery.payload, delivery.event
            if isinstance(payload, SettingsChanged):
                self._profiles.pop(payload.company_rut, None)
            elif isinstance(payload, InvoicesSynced):
                # A page of a sync: every document shares the page's event id (for tracing;
                # accounting keeps each proposal once per (sync_id, source_key)).
                sources.extend((event.id, payload.sync_id, document, event.time)
                               for document in payload.documents)
            elif isinstance(payload, InvoiceSynced):
                sources.append((event.id, payload.sync_id, payload.document, event.time))
            elif isinstance(payload, PaymentRecorded):
                sources.append((event.id, None, payload, event.time))  # payments are live
            else:
                log.warning("ignoring %s %s: not an event this worker handles",
                            event.type, event.id)
        for start in range(0, len(sources), MAX_PROPOSALS_PER_REQUEST):
            chunk = sources[start:start + MAX_PROPOSALS_PER_REQUEST]
            proposals, result = await self._hand_over(chunk)
            accepted = datetime.now(UTC)
            for *_, time in chunk:
                time = time if time.tzinfo else time.replace(tzinfo=UTC)
                WORKER_POSTING_LATENCY.observe(max((accepted - time).total_seconds(), 0.0))
            self._log_handed(proposals, result)

    async def _hand_over(self, chunk: list[Source]) -> tuple[list[Proposal], ProposalResult]:
        """Build the chunk's proposals and hand them to accounting, building them again
        with fresh profiles while accounting says the settings used are stale."""
        for attempt in range(1, STALE_SETTINGS_ATTEMPTS + 1):
            proposals: list[Proposal] = []
            versions: dict[str, int] = {}
            for event_id, sync_id, source, _ in chunk:
                profile = await self._profile(source.company_rut)
                proposals.append(_propose(event_id, sync_id, source, profile))
                company = profile.accounting_company_id
                versions[company] = min(versions.get(company, profile.settings_version),
                                        profile.settings_version)
            batch = ProposalBatch(proposals=proposals, settings_versions=versions)
            try:
                with correlation(_correlation_of(proposals)):
                    return proposals, await self._accounting.submit(batch)
            except StaleSettings as stale:
                ruts = stale.company_ruts or {p.company_rut for p in proposals}
                log.info("accounting refused %d proposals built with settings that changed "
                         "since (%s); fetching the posting profiles of %s again (attempt "
                         "%d)", len(proposals), stale, ", ".join(sorted(ruts)), attempt)
                for rut in ruts:
                    self._profiles.pop(rut, None)
                if attempt == STALE_SETTINGS_ATTEMPTS:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

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

    async def _profile(self, company_rut: str) -> PostingProfile:
        profile = self._profiles.get(company_rut)
        if profile is None:
            profile = await self._accounting.posting_profile(company_rut)
            self._profiles[company_rut] = profile
        return profile


def _propose(event_id: str, sync_id: str | None, source: TaxDocument | PaymentRecorded,
             profile: PostingProfile) -> Proposal:
    if isinstance(source, PaymentRecorded):
        outcome = propose_payment(source, profile)
        key, document, payment = source_key(source), None, source
    else:
        outcome = propose(source, profile)
        key, document, payment = source.document_key, source, None
    hold = outcome if isinstance(outcome, Hold) else None
    return Proposal(event_id=event_id, sync_id=sync_id, company_rut=source.company_rut,
                    source_key=key, document=document, payment=payment,
                    entry=None if isinstance(outcome, Hold) else outcome,
                    hold_reason=hold.reason if hold else None,
                    hold_code=NOTHING_TO_POST if hold and hold.nothing_to_post else None)


def _correlation_of(chunk: list[Proposal]) -> str | None:
    """The id accounting's side of this request is logged under: the batch's own, or the
    sync's when every proposal of the request belongs to one sync."""
    syncs = {p.sync_id for p in chunk}
    if current_correlation_id() is None and len(syncs) == 1:
        return syncs.pop()
    return current_correlation_id()
