"""Pure posting rules: a tax document (or a payment) and a company's posting profile in,
an entry out."""

from integration_worker.domain.payments import propose_payment
from integration_worker.domain.posting_rules import Hold, propose

__all__ = ["Hold", "propose", "propose_payment"]
