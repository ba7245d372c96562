"""Logs: one JSON object a line (for collectors) or a line a person reads (LOG_FORMAT=text).

Every record carries the service and the current correlation id, so one sync can be
followed across invoicing, accounting and the worker by grepping its id.
"""

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Literal

from shared.observability.correlation import current_correlation_id
from shared.redaction import redact_secrets

LogFormat = Literal["json", "text"]

# What every LogRecord has; anything else on a record came through ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "correlation_id", "service", "taskName",
    "cid", "color_message",  # our text formatter's, and uvicorn's copy with colours
}


class ContextFilter(logging.Filter):
    """Stamps each record with the service and the correlation id current where it was
    logged (the filter runs in the caller's context)."""

    def __init__(self, service: str | None) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not hasattr(record, "correlation_id"):
            record.correlation_id = current_correlation_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", None),
            "correlation_id": getattr(record, "correlation_id", current_correlation_id()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable line, with ``[correlation id]`` when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(cid)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        cid = getattr(record, "correlation_id", None)
        record.cid = f" [{cid}]" if cid else ""
        return super().format(record)


class _OurHandler(logging.StreamHandler):
    """Marks the handler configure_logging installed, so calling it again replaces it
    without touching handlers others added (pytest's, for one). The last guard against a
    secret in a log line: any URL's password in it (a library's message, a traceback) is
    masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_secrets(super().format(record))


def configure_logging(level: str = "INFO", *, fmt: LogFormat = "text",
                      service: str | None = None) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(sys.stderr)
    handler.addFilter(ContextFilter(service))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
