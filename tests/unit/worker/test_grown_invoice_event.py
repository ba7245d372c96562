"""invoice.synced grew optional fields for SII files (foreign_currency, received_on,
vat_breakdown): the worker reads such an event and posts its pesos as before."""

from datetime import date
from decimal import Decimal

from integration_worker.domain import propose
from invoicing.domain.documents import Counterparty, Direction, Document, ForeignCurrency
from invoicing.service_layer.outgoing import invoice_synced
from shared.events import parse_event
from shared.internal_api import ProposedEntry
from tests.unit.worker.test_posting_rules import PROFILE


def test_an_export_in_dollars_posts_its_pesos():
    export = Document(
        id="d-110", company_rut="76354771-K", issuer_rut="76354771-K",
        direction=Direction.SALES, dte_type=110, folio=501, issue_date=date(2024, 3, 5),
        counterparty=Counterparty("55555555-5", "Wine Importers Inc."), net=0,
        exempt=28_775_824, vat=0, total=28_775_824, references=(),
        foreign_currency=ForeignCurrency("DOLAR USA", Decimal("30276.00"), Decimal("950.45")),
    )
    event = invoice_synced(export, None)
    _, payload = parse_event(event.model_dump_json(), event.type)
    assert payload.document.foreign_currency.currency == "DOLAR USA"
    assert payload.document.foreign_currency.total == Decimal("30276.00")
    entry = propose(payload.document, PROFILE)
    assert isinstance(entry, ProposedEntry) and entry.is_balanced
    assert sum(line.debit for line in entry.lines) == 28_775_824
