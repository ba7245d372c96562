from accounting.adapters.tables import metadata
from accounting.config import DEFAULT_DATABASE_URL
from shared.migrations import run_migrations

run_migrations(metadata, DEFAULT_DATABASE_URL)
