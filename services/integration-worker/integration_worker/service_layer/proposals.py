"""The use case: a batch of events in, one batch of proposals handed to accounting."""

import logging

from integration_worker.domain import Hold, propose, propose_payment
from integration_worker.domain.payments import source_key
from integration_worker.service_layer.ports import AccountingApi
from shared.events import InvoiceSynced, PaymentRecorded, SettingsChanged
from shared.internal_api import PostingProfile, Proposal, ProposalBatch
from shared.messaging import Delivery

log = logging.getLogger(__name__)

MAX_PROPOSALS_PER_REQUEST = 1000


class ProposeEntries:
    """Handles a batch of deliveries; raising makes the consumer retry them.

    Posting profiles are cached per company RUT for the life of the process and dropped
    when accounting says the company's settings changed.
    """

    def __init__(self, accounting: AccountingApi):
        self._accounting = accounting
        self._profiles: dict[str, PostingProfile] = {}

    async def __call__(self, deliveries: list[Delivery]) -> None:
        proposals: list[Proposal] = []
        for delivery in deliveries:
            payload = delivery.payload
            if isinstance(payload, SettingsChanged):
                self._profiles.pop(payload.company_rut, None)
            elif isinstance(payload, InvoiceSynced):
                proposals.append(await self._proposal(delivery.event.id, payload))
            elif isinstance(payload, PaymentRecorded):
                proposals.append(await self._payment_proposal(delivery.event.id, payload))
            else:
                log.warning("ignoring %s %s: not an event this worker handles",
                            delivery.event.type, delivery.event.id)
        for start in range(0, len(proposals), MAX_PROPOSALS_PER_REQUEST):
            chunk = proposals[start:start + MAX_PROPOSALS_PER_REQUEST]
            result = await self._accounting.submit(ProposalBatch(proposals=chunk))
            log.info("handed %d proposals to accounting: %d new, %d already there",
                     len(chunk), result.accepted, result.duplicates)

    async def _proposal(self, event_id: str, event: InvoiceSynced) -> Proposal:
        document = event.document
        outcome = propose(document, await self._profile(document.company_rut))
        return Proposal(
            event_id=event_id,
            sync_id=event.sync_id,
            company_rut=document.company_rut,
            source_key=document.document_key,
            document=document,
            entry=None if isinstance(outcome, Hold) else outcome,
            hold_reason=outcome.reason if isinstance(outcome, Hold) else None,
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
