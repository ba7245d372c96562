"""journal lines: the foreign key to their entry becomes one check per statement
(PostgreSQL); journal entries cannot be deleted; sync_documents back to the default
fillfactor

Confirm writes a page's lines with one COPY. The foreign key checked each line on its own
(a lookup and a row lock on its entry): a third of the database's work of posting, and
WAL for every entry row it locked. The trigger checks the whole statement's lines in one
anti-join, with the same outcome: no line without its entry. An entry is never deleted
(DESIGN: posted entries are reversed), which the foreign key also guarded.

The fillfactor of 50 that 0005 set doubled the table for HOT updates that did not pay at
100,000 documents (the table outgrew the buffer cache): measured slower, so undone.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_journal_lines_entry_id_journal_entries"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps the foreign key: it has no statement-level triggers
    op.execute("ALTER TABLE sync_documents RESET (fillfactor)")
    op.drop_constraint(FOREIGN_KEY, "journal_lines", type_="foreignkey")
    op.execute("""
        CREATE FUNCTION journal_lines_have_entries() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            orphan varchar;
        BEGIN
            SELECT n.entry_id INTO orphan FROM new_lines n
            WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = n.entry_id)
            LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'journal line of entry %, which does not exist', orphan
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER journal_lines_have_entries AFTER INSERT ON journal_lines
        REFERENCING NEW TABLE AS new_lines
        FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_have_entries()
    """)
    op.execute("""
        CREATE TRIGGER journal_lines_keep_entries AFTER UPDATE ON journal_lines
        REFERENCING NEW TABLE AS new_lines
        FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_have_entries()
    """)
    op.execute("""
        CREATE FUNCTION journal_entries_are_never_deleted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'journal entries are never deleted: post a reversal instead'
                USING ERRCODE = 'restrict_violation';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER journal_entries_are_never_deleted BEFORE DELETE ON journal_entries
        FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_are_never_deleted()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER journal_entries_are_never_deleted ON journal_entries")
    op.execute("DROP FUNCTION journal_entries_are_never_deleted()")
    op.execute("DROP TRIGGER journal_lines_keep_entries ON journal_lines")
    op.execute("DROP TRIGGER journal_lines_have_entries ON journal_lines")
    op.execute("DROP FUNCTION journal_lines_have_entries()")
    op.create_foreign_key(FOREIGN_KEY, "journal_lines", "journal_entries", ["entry_id"], ["id"])
    op.execute("ALTER TABLE sync_documents SET (fillfactor = 50)")
