"""A year of one company's documents, written straight into invoicing's database.

Seeding is not what the bench measures, so it skips the API: rows go in bulk through
invoicing's own table definition (``invoicing.adapters.tables.documents``), shaped as
invoicing's repository writes them. The generator is deterministic for a given N and
streams in chunks, and it adds up the books the documents must produce as it goes.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from invoicing.adapters.tables import documents as documents_table
from shared.db import create_engine
from shared.money import split_gross, vat_of
from shared.rut import FINAL_CONSUMER_RUT, rut_from_number

YEAR = 2025
DATE_FROM, DATE_TO = f"{YEAR}-01-01", f"{YEAR}-12-31"
# The month end's month: a month of the same year, so the same accounts and rules apply.
MONTH_FROM, MONTH_TO = date(YEAR, 6, 1), date(YEAR, 6, 30)
CHUNK = 5_000

SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",
    "collections_account": "110102",
}
CLIENTS, SALES = "110310", "310115"
SUPPLIERS, PURCHASES = "210210", "410230"
VAT_DEBIT, VAT_CREDIT = "210710", "110710"

# (direction, tipo DTE) → share of all documents: mostly facturas afectas, then boletas,
# exentas, notes. Every one is consistent, so every one must be posted.
MIX = [
    (("sales", 33), 40), (("sales", 39), 15), (("sales", 34), 3), (("sales", 61), 3),
    (("sales", 56), 1),
    (("purchases", 33), 30), (("purchases", 34), 3), (("purchases", 61), 3),
    (("purchases", 56), 2),
]


@dataclass
class Seeded:
    """What the seed put in invoicing, and the books it must become."""

    count: int = 0
    by_kind: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    # account code → [debit, credit]
    books: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    parties: set[str] = field(default_factory=set)
    totals: int = 0

    def post(self, account: str, debit: int = 0, credit: int = 0) -> None:
        self.books[account][0] += debit
        self.books[account][1] += credit


def _amount(rng: random.Random, low: int, high: int) -> int:
    # Log-uniform: many small invoices, a few large ones.
    return int(low * (high / low) ** rng.random())


@dataclass
class DocumentFactory:
    """Builds consistent documents of any (direction, tipo) for one company."""

    company_rut: str
    seed: int = 2025
    customers: int = 2_000
    suppliers: int = 1_000
    rng: random.Random = field(init=False)
    folios: dict[tuple[str, int], int] = field(init=False)
    last_invoice: dict[str, list[tuple[int, date]]] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.folios = defaultdict(int)
        self.last_invoice = {"sales": [], "purchases": []}
        self.customer_list = [(rut_from_number(77_000_000 + 37 * i), f"Cliente {i:05d} SpA")
                              for i in range(self.customers)]
        self.supplier_list = [(rut_from_number(96_000_000 + 41 * i),
                               f"Proveedor {i:05d} Ltda.") for i in range(self.suppliers)]
        kinds, weights = zip(*MIX, strict=True)
        self._kinds, self._weights = list(kinds), list(weights)

    def pick_kind(self) -> tuple[str, int]:
        return self.rng.choices(self._kinds, self._weights)[0]

    def document(self, direction: str, dte_type: int, day: date, seeded: Seeded) -> dict:
        rng = self.rng
        self.folios[(direction, dte_type)] += 1
        folio = self.folios[(direction, dte_type)]
        party = rng.choice(self.customer_list if direction == "sales" else self.supplier_list)
        net = exempt = vat = 0
        references: list[dict] = []
        if dte_type == 39:
            party = (FINAL_CONSUMER_RUT, "Consumidor final")
            total = _amount(rng, 990, 250_000)
        elif dte_type == 34:
            exempt = total = _amount(rng, 10_000, 3_000_000)
        else:
            net = _amount(rng, 5_000, 20_000_000 if dte_type == 33 else 2_000_000)
            vat = vat_of(net)
            total = net + vat
            if dte_type in (56, 61) and self.last_invoice[direction]:
                ref_folio, ref_day = rng.choice(self.last_invoice[direction][-200:])
                references = [{"dte_type": 33, "folio": ref_folio,
                               "issue_date": ref_day.isoformat(), "code": 3,
                               "reason": "corrige montos", }]
        if dte_type == 33:
            self.last_invoice[direction].append((folio, day))
            if len(self.last_invoice[direction]) > 400:
                del self.last_invoice[direction][:200]
        company = self.company_rut
        issuer = company if direction == "sales" else party[0]
        self._post(seeded, direction, dte_type, net, exempt, vat, total)
        seeded.count += 1
        seeded.totals += total
        seeded.parties.add(party[0])
        seeded.by_kind[(direction, dte_type)] += 1
        return {
            "id": str(uuid.uuid4()), "company_rut": company, "direction": direction,
            "dte_type": dte_type, "folio": folio, "issue_date": day, "issuer_rut": issuer,
            "counterparty_rut": party[0], "counterparty_name": party[1],
            "net": net, "exempt": exempt, "vat": vat, "total": total,
            "doc_references": references, "created_at": datetime.now(UTC),
        }

    @staticmethod
    def _post(seeded: Seeded, direction: str, dte_type: int, net: int, exempt: int,
              vat: int, total: int) -> None:
        """DESIGN.md §6, written out independently of the worker's rules."""
        if direction == "sales":
            if dte_type == 39:
                net, vat = split_gross(total)
            sign = dte_type == 61
            seeded.post(CLIENTS, *((0, total) if sign else (total, 0)))
            seeded.post(SALES, *((net + exempt, 0) if sign else (0, net + exempt)))
            if vat:
                seeded.post(VAT_DEBIT, *((vat, 0) if sign else (0, vat)))
        else:
            sign = dte_type == 61
            seeded.post(SUPPLIERS, *((total, 0) if sign else (0, total)))
            seeded.post(PURCHASES, *((0, net + exempt) if sign else (net + exempt, 0)))
            if vat:
                seeded.post(VAT_CREDIT, *((0, vat) if sign else (vat, 0)))


def year_of_documents(factory: DocumentFactory, n: int, seeded: Seeded, *,
                      first: date = date(YEAR, 1, 1), days: int = 365
                      ) -> Iterator[list[dict]]:
    """N documents spread evenly over ``days`` days from ``first`` (the year unless told)
    in date order, in chunks."""
    chunk: list[dict] = []
    for i in range(n):
        day = first + timedelta(days=i * days // n)
        direction, dte_type = factory.pick_kind()
        chunk.append(factory.document(direction, dte_type, day, seeded))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def seed_documents(database_url: str, company_rut: str, n: int) -> Seeded:
    """Insert N documents for the company (created beforehand through the API)."""
    return (await seed_companies(database_url, [company_rut], n))[company_rut]


def _factory(company_rut: str, n: int, seed: int) -> DocumentFactory:
    return DocumentFactory(company_rut, seed=seed, customers=min(3_000, max(50, n // 30)),
                           suppliers=min(1_500, max(30, n // 60)))


async def seed_companies(database_url: str, company_ruts: list[str], n: int, *,
                         first: date = date(YEAR, 1, 1), days: int = 365
                         ) -> dict[str, Seeded]:
    """N documents for each company (created beforehand through the API), dated over
    ``days`` days from ``first``; each company its own amounts (its own generator seed)."""
    books = {}
    engine = create_engine(database_url)
    try:
        for index, rut in enumerate(company_ruts):
            books[rut] = seeded = Seeded()
            factory = _factory(rut, n, seed=2025 + index)
            for chunk in year_of_documents(factory, n, seeded, first=first, days=days):
                async with engine.begin() as conn:
                    await conn.execute(insert(documents_table), chunk)
    finally:
        await engine.dispose()
    return books
