"""What the use cases need from the outside world (the accounting internal API)."""

from typing import Protocol

from shared.internal_api import PostingProfile, ProposalBatch, ProposalResult


class AccountingApi(Protocol):
    async def posting_profile(self, company_rut: str) -> PostingProfile: ...

    async def submit(self, batch: ProposalBatch) -> ProposalResult: ...
