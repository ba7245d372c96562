"""The invoicing database. Migrations in services/invoicing/migrations mirror this."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

from shared.inbox import processed_messages_table
from shared.outbox import outbox_table

metadata = MetaData()

RUT = String(12)

companies = Table(
    "companies",
    metadata,
    Column("rut", RUT, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("company_rut", RUT, ForeignKey("companies.rut"), nullable=False),
    Column("direction", String(10), nullable=False),
    Column("dte_type", Integer, nullable=False),
    Column("folio", BigInteger, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("issuer_rut", RUT, nullable=False),
    Column("counterparty_rut", RUT, nullable=False),
    Column("counterparty_name", String(200), nullable=False),
    Column("net", BigInteger, nullable=False),
    Column("exempt", BigInteger, nullable=False),
    Column("vat", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("doc_references", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added for imported DTEs (ImptoReten); defaults keep older rows meaningful.
    Column("other_taxes", JSON, nullable=False, server_default=text("'[]'")),
    Column("vat_retained", BigInteger, nullable=False, server_default=text("0")),
    # Added for SII files: an export's original currency {currency, total, exchange_rate}
    # (decimals as text), and when a purchase was received.
    Column("foreign_currency", JSON),
    Column("received_on", Date),
    # A purchase's IVA by RCV column (VatBreakdown's fields), when its RCV row gave them.
    Column("vat_breakdown", JSON),
    # DTE Totales/CredEC and Totales/GrntDep (DESIGN.md §6b).
    Column("construction_credit", BigInteger, nullable=False, server_default=text("0")),
    Column("container_deposit", BigInteger, nullable=False, server_default=text("0")),
    # "recorded", or "pending_acceptance" for an RCV pendientes row: kept, never exported.
    Column("status", String(20), nullable=False, server_default=text("'recorded'")),
    UniqueConstraint("company_rut", "direction", "issuer_rut", "dte_type", "folio",
                     name="uq_documents_folio"),
    # Listing and sync both walk a company's documents in (issue_date, folio, id) order.
    Index("ix_documents_company_date", "company_rut", "issue_date", "folio", "id"),
)

integration_links = Table(
    "integration_links",
    metadata,
    Column("company_rut", RUT, ForeignKey("companies.rut"), primary_key=True),
    Column("contract_rut", RUT, nullable=False),
    Column("status", String(10), nullable=False),
    Column("request_id", String(36), nullable=False),
    Column("detail", String(2000), nullable=False),
    Column("accounting_company_id", String(64)),  # the current request's, once approved
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("requested_at", DateTime(timezone=True)),  # when the current request was made
    # The connection in force (the approved request whose accounting company gets the
    # documents): during a change of accountant it is not the current request.
    Column("connected_request_id", String(36)),
    Column("connected_contract_rut", RUT),
    Column("connected_accounting_company_id", String(64)),
    Column("first_synced_at", DateTime(timezone=True)),  # the connection's first sync
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("company_rut", RUT, ForeignKey("companies.rut"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("counterparty_rut", RUT, nullable=False),
    Column("counterparty_name", String(200), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("documents", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_payments_company_date", "company_rut", "paid_on"),
)

# A sync's export in progress (SyncRequested answered page by page, a transaction each):
# the cursor, page count and running manifest totals commit with each page, so a
# redelivered request resumes after the last committed page instead of starting over.
sync_exports = Table(
    "sync_exports",
    metadata,
    Column("sync_id", String(64), primary_key=True),
    Column("company_rut", RUT, nullable=False),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    # The (issue_date, folio, id) key of the last document sent; null before the first page.
    Column("after_date", Date),
    Column("after_folio", BigInteger),
    Column("after_id", String(36)),
    Column("pages", Integer, nullable=False),
    Column("document_count", Integer, nullable=False),
    # [[month, direction, tipo DTE, count, net, exempt, vat, total], …]: the manifest lines.
    Column("totals", JSON, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
)

outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)
