"""The integration worker's CPU per document, in process: events in, the bytes it POSTs out.

python -m bench.worker_proposals [--documents 1000] [--runs 15] [--live-batch 10]

A page of a range sync (one invoicing.invoices.synced.v1 of ``--documents`` documents, as
bench/seed.py makes them) and the same documents as live invoice.synced events, handed in
batches of ``--live-batch`` (200 docs/s batched for 50 ms is 10 a batch). Each is parsed as
the consumer parses it (the event is hostile input: that cost stays) and handled by the
worker's own use case and HTTP client, down to the request body it would POST to accounting;
the transport answers in memory. CPU time (time.process_time), best of ``--runs``: the
figure is stable on a shared machine, unlike the wall clock of the full bench.
"""

import argparse
import time
from datetime import date

import httpx
import uvloop

from bench.seed import SETTINGS, DocumentFactory, Seeded, year_of_documents
from integration_worker.adapters.accounting_client import AccountingClient
from integration_worker.service_layer.proposals import ProposeEntries
from shared.events import (
    CloudEvent,
    Counterparty,
    DocumentReference,
    InvoicesSynced,
    InvoiceSynced,
    TaxDocument,
    parse_event,
)
from shared.internal_api import INTERNAL_PREFIX, PostingProfile, ProposalResult
from shared.messaging import Delivery
from shared.rut import rut_from_number

COMPANY = rut_from_number(76_543_210)
SYNC_ID = "bench-sync"


def documents(n: int) -> list[TaxDocument]:
    """N of seed.py's documents (its mix of types and amounts), as invoicing sends them."""
    factory = DocumentFactory(COMPANY, customers=min(3_000, max(50, n // 30)),
                              suppliers=min(1_500, max(30, n // 60)))
    rows = [row for chunk in year_of_documents(factory, n, Seeded()) for row in chunk]
    return [TaxDocument(
        document_id=row["id"], company_rut=row["company_rut"], direction=row["direction"],
        dte_type=row["dte_type"], folio=row["folio"], issue_date=row["issue_date"],
        issuer_rut=row["issuer_rut"],
        counterparty=Counterparty(rut=row["counterparty_rut"], name=row["counterparty_name"]),
        net=row["net"], exempt=row["exempt"], vat=row["vat"], total=row["total"],
        references=tuple(DocumentReference(dte_type=r["dte_type"], folio=r["folio"],
                                           issue_date=date.fromisoformat(r["issue_date"]),
                                           code=r["code"], reason=r["reason"])
                         for r in row["doc_references"]),
    ) for row in rows]


def message(payload: InvoicesSynced | InvoiceSynced) -> tuple[bytes, str]:
    """The body and AMQP type of the message the worker receives."""
    event = CloudEvent.wrap(payload, subject=COMPANY, correlation_id=SYNC_ID)
    return event.model_dump_json().encode(), event.type


class Accounting:
    """An in-memory answer to the worker's requests; keeps the bodies POSTed."""

    def __init__(self) -> None:
        self.profile = PostingProfile(accounting_company_id="c-bench", company_rut=COMPANY,
                                      settings_version=1, **SETTINGS)
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, content=self.profile.model_dump_json())
        self.bodies.append(request.content)
        return httpx.Response(200, content=ProposalResult(accepted=1, duplicates=0)
                              .model_dump_json())


def parse(messages: list[tuple[bytes, str]]) -> list[Delivery]:
    deliveries = []
    for body, event_type in messages:
        event, payload = parse_event(body, event_type)
        deliveries.append(Delivery(event=event, payload=payload))
    return deliveries


async def measure(batches: list[list[tuple[bytes, str]]], runs: int, accounting: Accounting
                  ) -> tuple[float, float]:
    """Best CPU seconds over ``runs`` of (parsing, handling) every batch."""
    client = AccountingClient("http://accounting", transport=httpx.MockTransport(accounting))
    handle = ProposeEntries(client)
    await handle(parse(batches[0]))  # the profile fetched and cached, as in a running worker
    best_parse = best_handle = float("inf")
    try:
        for _ in range(runs):
            accounting.bodies.clear()
            parsing = handling = 0.0
            for batch in batches:
                start = time.process_time()
                deliveries = parse(batch)
                parsed = time.process_time()
                await handle(deliveries)
                handling += time.process_time() - parsed
                parsing += parsed - start
            best_parse, best_handle = min(best_parse, parsing), min(best_handle, handling)
    finally:
        await client.close()
    return best_parse, best_handle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_proposals",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--live-batch", type=int, default=10)
    args = parser.parse_args(argv)
    docs = documents(args.documents)
    page = [message(InvoicesSynced(sync_id=SYNC_ID, company_rut=COMPANY, page=1,
                                   documents=tuple(docs)))]
    live = [message(InvoiceSynced(sync_id=None, document=d)) for d in docs]
    live_batches = [live[i:i + args.live_batch] for i in range(0, len(live), args.live_batch)]
    print(f"{args.documents} documents, CPU µs per document, best of {args.runs} runs "
          f"(parse = the event's validation; handle = proposals to the bytes POSTed to "
          f"{INTERNAL_PREFIX}/proposals)")
    for name, batches in (("range page", [page]), (f"live, {args.live_batch} a batch",
                                                   live_batches)):
        accounting = Accounting()
        # The worker's own event loop (uvloop): its costs count.
        parse_s, handle_s = uvloop.run(measure(batches, args.runs, accounting))
        per = 1e6 / args.documents
        print(f"  {name:<18} parse {parse_s * per:7.1f}   handle {handle_s * per:7.1f}   "
              f"total {(parse_s + handle_s) * per:7.1f}   ({len(accounting.bodies)} POSTs, "
              f"{sum(map(len, accounting.bodies)) // args.documents} bytes/doc)")


if __name__ == "__main__":
    main()
