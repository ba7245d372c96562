"""journal entries: their foreign keys to the company and the sync session become one
check per statement (PostgreSQL), as 0006 did for the lines

Confirm writes a page's entries with one COPY. Each foreign key checked each entry on its
own (a lookup and a key-share lock on the same company row and the same session row, two
thousand times a page): measured on 100,000 entries in pages of 2,000, the backend's CPU
for the COPYs went from 4.4-4.5 s to 3.1-3.5 s without them. The trigger checks the
whole statement's entries in one anti-join per referenced table, with the same outcome: no
entry of a company or a session that does not exist. Companies and sessions are never
deleted (a company is deleted softly), and a statement trigger refuses deleting one that
entries still name, as the foreign keys did.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMPANY_KEY = "fk_journal_entries_company_id_companies"
SYNC_KEY = "fk_journal_entries_sync_id_sync_sessions"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps the foreign keys: it has no statement-level triggers
    op.drop_constraint(COMPANY_KEY, "journal_entries", type_="foreignkey")
    op.drop_constraint(SYNC_KEY, "journal_entries", type_="foreignkey")
    op.execute("""
        CREATE FUNCTION journal_entries_have_owners() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            missing varchar;
        BEGIN
            SELECT n.company_id INTO missing FROM (SELECT DISTINCT company_id FROM new_entries) n
            WHERE NOT EXISTS (SELECT 1 FROM companies c WHERE c.id = n.company_id) LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'journal entry of company %, which does not exist', missing
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            SELECT n.sync_id INTO missing FROM (SELECT DISTINCT sync_id FROM new_entries
                                                WHERE sync_id IS NOT NULL) n
            WHERE NOT EXISTS (SELECT 1 FROM sync_sessions s WHERE s.id = n.sync_id) LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'journal entry of sync session %, which does not exist',
                    missing USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NULL;
        END $$
    """)
    for event in ("INSERT", "UPDATE"):
        op.execute(f"""
            CREATE TRIGGER journal_entries_have_owners_{event.lower()} AFTER {event}
            ON journal_entries REFERENCING NEW TABLE AS new_entries
            FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_have_owners()
        """)
    for table, column in (("companies", "company_id"), ("sync_sessions", "sync_id")):
        op.execute(f"""
            CREATE FUNCTION {table}_keep_their_entries() RETURNS trigger
            LANGUAGE plpgsql AS $$
            DECLARE
                named varchar;
            BEGIN
                SELECT o.id INTO named FROM old_rows o
                WHERE EXISTS (SELECT 1 FROM journal_entries e WHERE e.{column} = o.id)
                LIMIT 1;
                IF FOUND THEN
                    RAISE EXCEPTION '% is named by journal entries, which are never deleted',
                        named USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NULL;
            END $$
        """)
        # Deletes only: an UPDATE trigger would run on every page's and every batch's
        # update of the session and the company, and nothing changes their ids.
        op.execute(f"""
            CREATE TRIGGER {table}_keep_their_entries AFTER DELETE
            ON {table} REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_keep_their_entries()
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("companies", "sync_sessions"):
        op.execute(f"DROP TRIGGER {table}_keep_their_entries ON {table}")
        op.execute(f"DROP FUNCTION {table}_keep_their_entries()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER journal_entries_have_owners_{event} ON journal_entries")
    op.execute("DROP FUNCTION journal_entries_have_owners()")
    op.create_foreign_key(COMPANY_KEY, "journal_entries", "companies", ["company_id"], ["id"])
    op.create_foreign_key(SYNC_KEY, "journal_entries", "sync_sessions", ["sync_id"], ["id"])
