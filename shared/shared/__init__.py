"""What the three services share: event contracts, RUT and money types, and the
messaging and outbox plumbing. It imports nothing of the services."""
