"""Helpers for the books tests: a connected company, proposals built by the worker's own
posting rules, and sync sessions driven through the API."""

from datetime import date

from accounting.service_layer.handlers import handle_event
from integration_worker.domain import Hold, propose, propose_payment
from shared.events import (
    Counterparty,
    ManifestDocument,
    ManifestLine,
    PaymentRecorded,
    SyncCompleted,
    SyncManifest,
    SyncManifestPage,
    TaxDocument,
)
from shared.internal_api import AccountPair, PostingProfile, Proposal, ProposalBatch
from tests.integration.accounting.conftest import AS_WORKER
from tests.integration.accounting.test_sync_flow import approved_company
from tests.support.events import incoming

SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",
    "collections_account": "110101",
}


class Books:
    """One connected company and the API calls the tests make about it."""

    def __init__(self, client, services, company: dict, customer: str, supplier: str):
        self.client, self.services = client, services
        self.company, self.id, self.rut = company, company["id"], company["rut"]
        self.customer, self.supplier = customer, supplier
        self.profile = PostingProfile(
            accounting_company_id=self.id, company_rut=self.rut,
            sales=AccountPair(**SETTINGS["sales"]),
            purchases=AccountPair(**SETTINGS["purchases"]),
            payments_account=SETTINGS["payments_account"],
            collections_account=SETTINGS["collections_account"])

    @classmethod
    async def connected(cls, client, services, rut, settings: dict | None = None) -> "Books":
        company, request_id = await approved_company(client, services, rut)
        await client.post(f"/v1/integration-requests/{request_id}/approve",
                          json={"company_id": company["id"]})
        put = await client.put(f"/v1/companies/{company['id']}/settings/invoice-integration",
                               json=settings or SETTINGS)
        assert put.status_code == 200, put.text
        return cls(client, services, company, rut(), rut())

    # --- documents and proposals ---------------------------------------------------------

    def doc(self, direction: str, dte_type: int, folio: int, day: date, *, net: int = 0,
            exempt: int = 0, vat: int | None = None, total: int | None = None,
            name: str = "Contraparte Ltda.", **extra) -> TaxDocument:
        party = self.customer if direction == "sales" else self.supplier
        vat = round(net * 0.19) if vat is None else vat
        return TaxDocument(
            document_id=f"d-{direction}-{dte_type}-{folio}", company_rut=self.rut,
            direction=direction, dte_type=dte_type, folio=folio, issue_date=day,
            issuer_rut=self.rut if direction == "sales" else party,
            counterparty=Counterparty(rut=party, name=name), net=net, exempt=exempt, vat=vat,
            total=net + exempt + vat if total is None else total, **extra)

    def proposal(self, sync_id: str | None, doc: TaxDocument) -> Proposal:
        outcome = propose(doc, self.profile)
        held = isinstance(outcome, Hold)
        return Proposal(event_id=f"ev-{doc.document_key}", sync_id=sync_id,
                        company_rut=self.rut, source_key=doc.document_key, document=doc,
                        entry=None if held else outcome,
                        hold_reason=outcome.reason if held else None,
                        hold_code="nothing_to_post" if held and outcome.nothing_to_post
                        else None)

    def payment_proposal(self, payment: PaymentRecorded, profile=None) -> Proposal:
        outcome = propose_payment(payment, profile or self.profile)
        held = isinstance(outcome, Hold)
        return Proposal(event_id=f"ev-{payment.payment_id}", sync_id=None,
                        company_rut=self.rut, source_key=f"payment:{payment.payment_id}",
                        payment=payment, entry=None if held else outcome,
                        hold_reason=outcome.reason if held else None)

    async def send(self, proposals: list[Proposal]) -> dict:
        response = await self.client.post(
            "/internal/v1/proposals",
            content=ProposalBatch(proposals=proposals).model_dump_json(),
            headers={"content-type": "application/json"}, auth=AS_WORKER)
        assert response.status_code == 200, response.text
        return response.json()

    # --- sessions ------------------------------------------------------------------------

    async def start_sync(self, date_from: str, date_to: str) -> str:
        response = await self.client.post(
            f"/v1/companies/{self.id}/integrations/factura-electronica/syncs",
            json={"from": date_from, "to": date_to})
        assert response.status_code == 202, response.text
        return response.json()["id"]

    async def complete(self, sync_id: str, documents: list[TaxDocument],
                       manifest: SyncManifest | None = None, *, page_size: int = 2,
                       legacy: bool = False) -> None:
        """What invoicing sends once it sent ``documents``: the manifest's documents in
        pages of ``page_size``, then sync.completed with the count and the totals (with
        ``legacy``, as before manifest pages: every document inside sync.completed)."""
        manifest = manifest if manifest is not None else manifest_of(documents)
        if legacy:
            await handle_event(self.services.uow, incoming(SyncCompleted(
                sync_id=sync_id, company_rut=self.rut, document_count=len(documents),
                manifest=manifest)))
            return
        pages = manifest_pages(sync_id, self.rut, manifest, page_size)
        for page in pages:
            await handle_event(self.services.uow, incoming(page))
        await handle_event(self.services.uow, incoming(SyncCompleted(
            sync_id=sync_id, company_rut=self.rut, document_count=len(documents),
            manifest=SyncManifest(lines=manifest.lines), manifest_pages=len(pages))))

    async def sync(self, date_from: str, date_to: str, documents: list[TaxDocument], *,
                   confirm: bool = True) -> str:
        sync_id = await self.start_sync(date_from, date_to)
        await self.send([self.proposal(sync_id, d) for d in documents])
        await self.complete(sync_id, documents)
        if confirm:
            assert (await self.client.post(f"/v1/syncs/{sync_id}/confirm")).status_code == 200
        return sync_id

    async def documents(self, sync_id: str) -> dict[int | str, dict]:
        """The session's documents by folio (payments by payment id)."""
        page = (await self.client.get(f"/v1/syncs/{sync_id}/documents",
                                      params={"limit": 500})).json()
        return {(i["document"]["folio"] if i["document"] else i["payment"]["payment_id"]): i
                for i in page["items"]}

    async def entries(self, **params) -> list[dict]:
        return (await self.client.get(f"/v1/companies/{self.id}/entries",
                                      params={"limit": 500, **params})).json()["items"]

    async def get(self, path: str, **params):
        response = await self.client.get(f"/v1/companies/{self.id}{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, **kwargs):
        return await self.client.post(f"/v1/companies/{self.id}{path}", **kwargs)


def manifest_of(documents: list[TaxDocument]) -> SyncManifest:
    """What invoicing would send: lines per month, direction and tipo, and every document."""
    lines: dict[tuple, list[int]] = {}
    for d in documents:
        key = (f"{d.issue_date:%Y-%m}", d.direction.value, d.dte_type)
        sums = lines.setdefault(key, [0, 0, 0, 0, 0])
        for i, amount in enumerate((1, d.net, d.exempt, d.vat, d.total)):
            sums[i] += amount
    return SyncManifest(
        lines=tuple(ManifestLine(month=m, direction=direction, dte_type=t, count=c, net=n,
                                 exempt=e, vat=v, total=total)
                    for (m, direction, t), (c, n, e, v, total) in sorted(lines.items())),
        documents=tuple(ManifestDocument(document_key=d.document_key, total=d.total,
                                         issue_date=d.issue_date) for d in documents))


def manifest_pages(sync_id: str, company_rut: str, manifest: SyncManifest,
                   page_size: int) -> list[SyncManifestPage]:
    """The manifest's documents as invoicing sends them: pages numbered from 1."""
    documents = manifest.documents
    return [SyncManifestPage(sync_id=sync_id, company_rut=company_rut, page=number,
                             documents=documents[start:start + page_size])
            for number, start in enumerate(range(0, len(documents), page_size), start=1)]
