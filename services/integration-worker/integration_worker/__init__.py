"""The integration worker: turns synced tax documents into proposed journal entries."""
