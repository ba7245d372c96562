"""One logging set-up for every process (see shared.observability.logging)."""

from shared.observability.logging import configure_logging

__all__ = ["configure_logging"]
