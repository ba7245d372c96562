"""Metrics (Prometheus), structured logs and the correlation id that ties one flow's log
lines together across the three processes."""
