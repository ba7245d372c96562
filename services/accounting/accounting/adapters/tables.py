"""The accounting database: every table, in one MetaData the migrations follow."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.inbox import processed_messages_table
from shared.outbox import outbox_table

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

BigId = BigInteger().with_variant(Integer, "sqlite")
Uuid = String(36)
RutColumn = String(12)
Money = BigInteger

outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)

contracts = Table(
    "contracts",
    metadata,
    Column("rut", RutColumn, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

companies = Table(
    "companies",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("contract_rut", RutColumn, ForeignKey("contracts.rut"), nullable=False),
    Column("rut", RutColumn, nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(10), nullable=False),  # active | hidden | deleted
    # The last comprobante number given: entries are numbered per company.
    Column("last_entry_number", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "contract_rut", "rut"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("company_id", Uuid, ForeignKey("companies.id"), nullable=False),
    Column("code", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(10), nullable=False),
    Column("postable", Boolean, nullable=False),
    Column("auxiliary", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("company_id", "code"),
)

integration_requests = Table(
    "integration_requests",
    metadata,
    Column("id", String(64), primary_key=True),  # invoicing's request_id
    Column("contract_rut", RutColumn, nullable=False),
    Column("company_rut", RutColumn, nullable=False),
    Column("company_name", String(200), nullable=False),
    Column("status", String(10), nullable=False),
    Column("detail", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("company_id", Uuid, ForeignKey("companies.id")),  # the approved company
    Index(None, "contract_rut", "status"),
)

# Which accounting company keeps the books of an invoicing company (by its RUT).
integration_links = Table(
    "integration_links",
    metadata,
    Column("company_rut", RutColumn, primary_key=True),
    Column("company_id", Uuid, ForeignKey("companies.id"), nullable=False, index=True),
    Column("request_id", String(64), ForeignKey("integration_requests.id"), nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
)

invoice_settings = Table(
    "invoice_settings",
    metadata,
    Column("company_id", Uuid, ForeignKey("companies.id"), primary_key=True),
    Column("sales_auxiliary", String(20)),
    Column("sales_detail", String(20)),
    Column("purchases_auxiliary", String(20)),
    Column("purchases_detail", String(20)),
    Column("payments", String(20)),
    Column("collections", String(20)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sync_sessions = Table(
    "sync_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("company_id", Uuid, ForeignKey("companies.id"), nullable=False, index=True),
    Column("company_rut", RutColumn, nullable=False),  # the invoicing company
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("status", String(12), nullable=False),
    Column("expected", Integer),
    Column("received", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
)

sync_documents = Table(
    "sync_documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sync_id", Uuid, ForeignKey("sync_sessions.id"), nullable=False),
    Column("company_id", Uuid, ForeignKey("companies.id"), nullable=False),
    Column("source_key", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("dte_type", Integer, nullable=False),
    Column("folio", BigInteger, nullable=False),
    Column("document", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("hold_reason", Text),
    Column("entry", JSON),
    Column("entry_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Handing the same proposal over twice stores it once.
    UniqueConstraint("sync_id", "source_key"),
    Index(None, "sync_id", "status"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("company_id", Uuid, ForeignKey("companies.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("entry_date", Date, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("glosa", String(300), nullable=False),
    Column("source_key", String(200)),
    Column("sync_id", Uuid, ForeignKey("sync_sessions.id")),
    Column("total", Money, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("company_id", "number"),
    # Nothing is posted twice, whatever the code above does.
    UniqueConstraint("company_id", "source_key"),
    Index(None, "company_id", "entry_date"),
)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", Uuid, ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("account_code", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    Column("debit", Money, nullable=False),
    Column("credit", Money, nullable=False),
    Column("counterparty_rut", RutColumn),
    Column("description", String(200)),
    CheckConstraint("debit >= 0 AND credit >= 0", name="non_negative"),
)
