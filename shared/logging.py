"""Structured JSON logs on standard output, carrying the correlation and trace ids in force.

Every line a service writes, its own, the web server's and the libraries', is one JSON object
on stdout: no colours, no multi-line text outside a JSON string. HTTP requests get one line
each from `shared.http.RequestContext` on the `pledgeflow.access` logger.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from opentelemetry import trace

from shared.context import current_correlation_id, current_event_traceparent

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
# The web server adds a coloured copy of its messages; only the plain one is kept.
_DROPPED = {"color_message"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

ACCESS_LOGGER = "pledgeflow.access"


def plain(text: str) -> str:
    """`text` without terminal colour codes."""
    return _ANSI.sub("", text)


def current_trace_id() -> str | None:
    """The trace id of the span in progress, in hex; with tracing off, that of the trace
    context the work carries; None when there is neither."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return format(context.trace_id, "032x")
    carried = current_event_traceparent()
    return carried.split("-")[1] if carried else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation and trace ids,
    and the record's extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": plain(record.getMessage()),
            "correlation_id": current_correlation_id(),
            "trace_id": current_trace_id(),
        }
        entry.update(
            {
                k: plain(v) if isinstance(v, str) else v
                for k, v in record.__dict__.items()
                if k not in _STANDARD and k not in _DROPPED
            }
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log line to stdout as JSON; the web server's loggers go the same way."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server = logging.getLogger(name)
        server.handlers[:] = []
        server.propagate = True
    # The web server's own access lines are off; RequestContext writes richer ones.
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel("WARNING")
    logging.getLogger(ACCESS_LOGGER).setLevel("INFO")
