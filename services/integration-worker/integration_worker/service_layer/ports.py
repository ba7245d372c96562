"""What the use cases need from the outside world (the accounting internal API)."""

from typing import Protocol

from shared.internal_api import PostingProfile, ProposalBatch, ProposalResult


class StaleSettings(Exception):
    """Accounting refused a batch: it was built with settings that changed since, for the
    invoicing companies in ``company_ruts`` (empty: it did not say which)."""

    def __init__(self, message: str, company_ruts: set[str] | None = None):
        super().__init__(message)
        self.company_ruts = company_ruts or set()


class AccountingApi(Protocol):
    async def posting_profile(self, company_rut: str) -> PostingProfile: ...

    async def submit(self, batch: ProposalBatch) -> ProposalResult:
        """Raises StaleSettings when the batch's settings_versions are not current."""
        ...
