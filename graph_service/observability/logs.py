"""Logging set-up: readable text (default) or one JSON object per line (``DIGISPINE_LOG_FORMAT``),
and the id of the request being served on every record logged while serving it.

:func:`configure_logging` is called once by the composition root (the CLI's settings loading);
the request middleware (:mod:`.requests`) sets the id with :func:`use_request_id`.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from contextvars import ContextVar, Token
from typing import Any

import orjson

from graph_service.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(request_suffix)s"

#: The id of the request being served by this task (None outside a request).
_request_id: ContextVar[str | None] = ContextVar("digispine_request_id", default=None)

#: Attributes every LogRecord has: the rest came through ``extra=`` and go into the JSON object.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return _request_id.get()


def use_request_id(request_id: str | None) -> Token[str | None]:
    """Make ``request_id`` the current one (reset with :func:`reset_request_id`)."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record (``request_id``; ``request_suffix`` for text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        record.request_id = request_id
        record.request_suffix = f" [request {request_id}]" if request_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id,
    the ``extra`` fields, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_suffix" and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode("utf-8")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted, not to the stream it was at
    configuration: a command run in-process (a test's CliRunner) replaces and closes stderr, and
    records logged after it must still go somewhere open."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    """Send every logger's records to stderr in ``settings.log_format`` at ``settings.log_level``
    (replacing handlers a previous call installed)."""
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "digispine", False)]:
        root.removeHandler(old)
    handler.digispine = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
