from invoicing.adapters.tables import metadata
from invoicing.config import DEFAULT_DATABASE_URL
from shared.migrations import run_migrations

run_migrations(metadata, DEFAULT_DATABASE_URL)
