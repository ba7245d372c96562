from pydantic import Field

from shared.settings import CommonSettings

DEFAULT_DATABASE_URL = "sqlite:///var/invoicing.db"
CONSUMER_NAME = "invoicing"


class Settings(CommonSettings):
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8001
    # Imports of SII files (POST /v1/companies/{rut}/documents/import and the CLI).
    import_max_bytes: int = 50 * 1024 * 1024
    # Rows per transaction of an import: each batch costs a temporary table and four
    # statements whatever its size, so larger batches amortise them.
    import_batch_size: int = 5000
    import_max_items: int = 10_000
    # Documents per invoices.synced message when answering a sync (SYNC_PAGE_SIZE).
    sync_page_size: int = Field(default=500, ge=1, le=5000)
