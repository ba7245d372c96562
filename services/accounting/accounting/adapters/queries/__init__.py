"""Read-only queries for the reports, apart from the repository the use cases write with."""
