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
    false,
    func,
    literal_column,
    text,
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
    Column("status", String(12), nullable=False),
    Column("detail", Text),
    # The company's current request when this one was withdrawn or superseded.
    Column("superseded_by", String(64)),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("company_id", Uuid, ForeignKey("companies.id")),  # the approved company
    Index(None, "contract_rut", "status"),
    Index(None, "company_rut"),  # a company's requests in every contract: which is current
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
    Column("fixed_asset", String(20)),
    Column("non_recoverable_vat", String(20)),
    # Live documents and payments are posted at once instead of waiting for review.
    Column("auto_post", Boolean, nullable=False, server_default=false()),
    # Overrides of the default account per SII tax code ({"24": "210720"}).
    Column("other_tax_accounts", JSON),
    Column("purchase_other_tax_accounts", JSON),
    # Pesos an issued document's IVA may be off round(neto × 19%) and still post (§6b).
    Column("issued_vat_tolerance", Integer, nullable=False, server_default="2"),
    # "received" (DL 825 art. 24) or "issued": which date of a purchase its entry takes.
    Column("purchase_entry_date", String(10), nullable=False, server_default="received"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Goes up by one with each change: the worker's cached posting profiles say which
    # version they were read at, and a batch built with another is refused (proposals.py).
    Column("version", Integer, nullable=False, server_default=text("0")),
)

sync_sessions = Table(
    "sync_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("company_id", Uuid, ForeignKey("companies.id"), nullable=False, index=True),
    Column("company_rut", RutColumn, nullable=False),  # the invoicing company
    # "range": a date range the user asked for; "live": documents and payments that arrive
    # by themselves after the first sync (one open live session per company at a time).
    Column("kind", String(8), nullable=False, server_default="range"),
    Column("date_from", Date),  # null for live sessions
    Column("date_to", Date),
    Column("status", String(12), nullable=False),
    Column("expected", Integer),
    Column("received", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    # The last time the session moved on (created, documents received, the count known, a
    # page of its confirm posted, resumed): a session open and still for too long is shown
    # stalled, and an interrupted confirm is resumed once this is older than its lease.
    Column("progress_at", DateTime(timezone=True)),
    # What invoicing says it sent (SyncCompleted.manifest): the reconciliation's other side.
    # Big (every document of the range): read only by the reconciliation; None is SQL NULL
    # so whether there is one is known without reading it.
    Column("manifest", JSON(none_as_null=True)),
    Column("detail", Text),  # why invoicing refused the sync (status refused)
    Index(None, "company_id", "kind", "status"),
)

sync_documents = Table(
    "sync_documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    # On PostgreSQL a statement trigger checks that the session and the company of every
    # document exist (migration 0017: one check per batch's INSERT, not a lookup and a row
    # lock per document and key); SQLite keeps the foreign keys.
    Column("sync_id", Uuid, nullable=False),
    Column("company_id", Uuid, nullable=False),
    Column("source_key", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("issue_date", Date, nullable=False),  # the entry's date (a payment's paid_on)
    # The document's own FchEmis (null for a payment), which may differ from the entry's
    # date (a purchase books on its reception): invoicing's manifest, and so the
    # reconciliation, counts a document in the month it was issued.
    Column("issued_on", Date),
    Column("dte_type", Integer),  # null for payments
    Column("folio", BigInteger),
    Column("document", JSON),  # a TaxDocument, or null for a payment
    Column("payment", JSON),  # a PaymentRecorded
    # Worth a look in review, but no reason to hold it (a RUT known under another name).
    Column("note", Text),
    Column("entry", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Where the entry's detail account came from (domain.remembered.AccountSource); null
    # when it has none (a payment, a document held without an entry).
    Column("account_source", String(12)),
    Column("account_note", Text),  # why, when it is not simply the default
    # Handing the same proposal over twice stores it once.
    UniqueConstraint("sync_id", "source_key"),
)

# Where each document of a session stands, apart from what it is: confirm changes the
# status of every document it posts, and rewriting the 1.2 kB documents (their new
# versions, their four indexes' entries and the WAL of both) was a third of PostgreSQL's
# work of posting; these rows are 60 bytes with one index. One per document, written with
# it. No foreign key: checking one locks the document's row, which writes it again.
sync_document_states = Table(
    "sync_document_states",
    metadata,
    Column("id", Uuid, primary_key=True),  # the document's
    Column("status", String(16), nullable=False),
    Column("hold_reason", Text),
    # Why it is held, when a later change can release it ("closed_period").
    Column("hold_code", String(20)),
    Column("entry_id", Uuid),
    # No index holds status: sync_document_counts answers "how many in each".
)
STATE_COLUMNS = tuple(c.name for c in sync_document_states.c if c.name != "id")

# A document with its state, as the reads see it: select(*DOCUMENT_COLUMNS)
# .select_from(documents_with_state).
documents_with_state = sync_documents.join(
    sync_document_states, sync_document_states.c.id == sync_documents.c.id)
DOCUMENT_COLUMNS = (*sync_documents.c, *(sync_document_states.c[n] for n in STATE_COLUMNS))

# How many of a session's documents are in each status, kept as they change (by the
# repository, applied at commit): a session's progress is read every second or so while
# it runs, and counting 100,000 rows that are being written cost ~0.1 s each time.
sync_document_counts = Table(
    "sync_document_counts",
    metadata,
    Column("sync_id", Uuid, ForeignKey("sync_sessions.id"), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Confirm walks a session's documents in pages in this order (keyset pagination): the
# expressions match syncs.POSTING_ORDER, so each page is a short index range.
Index("ix_sync_documents_posting_order", sync_documents.c.sync_id, sync_documents.c.issue_date,
      func.coalesce(sync_documents.c.dte_type, literal_column("-1")),
      func.coalesce(sync_documents.c.folio, literal_column("-1")), sync_documents.c.id)
# A payment is kept once per company whichever way it came (live, or in a range sync): a
# live one is looked up among all the company's sessions. Only payments (no tipo DTE) are
# in it, so storing a sync's documents writes nothing more.
Index("ix_sync_documents_payment_keys", sync_documents.c.company_id,
      sync_documents.c.source_key, postgresql_where=sync_documents.c.dte_type.is_(None),
      sqlite_where=sync_documents.c.dte_type.is_(None))

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    # On PostgreSQL a statement trigger checks that the company and the session of every
    # entry exist (migration 0016: one check per COPY of a page, not a lookup and a row
    # lock per entry and key); SQLite keeps the foreign keys.
    Column("company_id", Uuid, nullable=False),
    Column("number", Integer, nullable=False),
    Column("entry_date", Date, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("glosa", String(300), nullable=False),
    Column("source_key", String(200)),
    Column("sync_id", Uuid),
    Column("total", Money, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A reversal swaps the lines of the entry it reverses; the original only gains the link.
    Column("reverses_entry_id", Uuid, ForeignKey("journal_entries.id")),
    Column("reversed_by_entry_id", Uuid, ForeignKey("journal_entries.id")),
    Column("reversal_reason", String(300)),
    UniqueConstraint("company_id", "number"),
    # Nothing has two active postings, whatever the code above does: once an entry is
    # reversed its document may be posted again. A reversal's own key is
    # "reversal:<entry id>", so an entry cannot be reversed twice either.
    Index("uq_journal_entries_active_source_key", "company_id", "source_key", unique=True,
          postgresql_where=text("reversed_by_entry_id IS NULL"),
          sqlite_where=text("reversed_by_entry_id IS NULL")),
    Index(None, "company_id", "entry_date"),
)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # On PostgreSQL a statement trigger checks that every line's entry exists (migration
    # 0006: one check per COPY of a page, not a lookup and a row lock per line); SQLite
    # keeps the foreign key.
    Column("entry_id", Uuid, nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("account_code", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    Column("debit", Money, nullable=False),
    Column("credit", Money, nullable=False),
    Column("counterparty_rut", RutColumn),
    Column("description", String(200)),
    CheckConstraint("debit >= 0 AND credit >= 0", name="non_negative"),
)

# Months (YYYY-MM) a company closed; a month without a row is open.
periods = Table(
    "periods",
    metadata,
    Column("company_id", Uuid, ForeignKey("companies.id"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("status", String(6), nullable=False),  # open | closed
    Column("closed_at", DateTime(timezone=True)),
    Column("reopened_at", DateTime(timezone=True)),
)

# Auxiliares: each counterparty RUT once per company, under the first name it came with.
counterparties = Table(
    "counterparties",
    metadata,
    Column("company_id", Uuid, ForeignKey("companies.id"), primary_key=True),
    Column("rut", RutColumn, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A sync's manifest while it arrives: its documents come in pages (invoicing.sync.manifest.v1)
# and its totals with sync.completed, in any order. Once every document it counts is
# stored, the totals become sync_sessions.manifest: a session has a manifest only when whole.
sync_manifests = Table(
    "sync_manifests",
    metadata,
    Column("sync_id", Uuid, ForeignKey("sync_sessions.id"), primary_key=True),
    Column("lines", JSON),  # SyncCompleted.manifest.lines; null until it arrives
    Column("document_count", Integer),  # how many documents it lists; null until then
    Column("pages", Integer),  # SyncCompleted.manifest_pages
    Column("received", Integer, nullable=False),  # distinct documents stored so far
)

# What invoicing says it sent, a document a row: the reconciliation reads a month of them.
# No foreign key to sync_sessions (the handler checks the session exists): its check would
# share-lock the session row for each page, and sync.completed, which locks that row for
# update after the manifest's row, would then deadlock with the page waiting on the latter.
sync_manifest_documents = Table(
    "sync_manifest_documents",
    metadata,
    Column("sync_id", Uuid, primary_key=True),
    Column("document_key", String(200), primary_key=True),
    Column("total", Money, nullable=False),
    Column("issue_date", Date),
    Index(None, "sync_id", "issue_date"),
)

# The detail account a person chose for a counterparty's documents, by company, direction
# (sales | purchases) and RUT: proposed instead of the default for its next documents.
remembered_accounts = Table(
    "remembered_accounts",
    metadata,
    Column("company_id", Uuid, ForeignKey("companies.id"), primary_key=True),
    Column("direction", String(10), primary_key=True),
    Column("counterparty_rut", RutColumn, primary_key=True),
    Column("account_code", String(20), nullable=False),
    Column("origin", String(8), nullable=False),  # review (a confirmed sync) | api
    Column("chosen_at", DateTime(timezone=True), nullable=False),
    # The sync whose confirm remembered it, and the document (origin review).
    Column("sync_id", Uuid),
    Column("source_key", String(200)),
)
