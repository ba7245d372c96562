"""Read-only queries for the reports and lists, apart from the repositories the use cases
write with (as cosmicpython's views)."""

from accounting.adapters.queries.journal import JournalQueries
from accounting.adapters.queries.lists import ListQueries


class Queries(JournalQueries, ListQueries):
    """Every read of the reports and lists, on one session."""
