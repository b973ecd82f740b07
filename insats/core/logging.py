"""Structured logs: one JSON object per line, each naming the request it belongs to.

Support finds an error by the request id the user read off the 500 page; operators feed the
lines to their log system unparsed. A line carries only what the request context holds (id,
user id, method, path without the query string) and the message: never POST data, form values,
query strings (a search can hold a name) or the request object Django attaches to its own
error records. Set `LOG_FORMAT=text` for readable lines in development and the demo.
"""

import json
import logging
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class RequestContext:
    """What a log line may say about the request being served."""

    request_id: str
    method: str
    path: str  # request.path: never the query string
    user_id: int | None = None


_current: ContextVar[RequestContext | None] = ContextVar("insats_request", default=None)


def begin(context: RequestContext) -> Token:
    return _current.set(context)


def end(token: Token) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def current_request_id() -> str:
    context = _current.get()
    return context.request_id if context else ""


# PostgreSQL puts the offending row's values in the DETAIL of an error ("Key (name)=(…)
# already exists", "Failing row contains (…)"): those are personal data from a form.
_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


def redact(text: str) -> str:
    return _DETAIL.sub(r"\1 (removed: may hold personal data)", text)


class JsonFormatter(logging.Formatter):
    """A whitelist of fields, never the record's extras (Django's carry the whole request)."""

    def format(self, record: logging.LogRecord) -> str:
        context = _current.get()
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": context.request_id if context else None,
        }
        if context:
            entry["user_id"] = context.user_id
            entry["method"] = context.method
            entry["path"] = context.path
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        duration = getattr(record, "duration_ms", None)
        if isinstance(duration, int | float):
            entry["duration_ms"] = duration
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for development, with the request id in brackets."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = current_request_id() or "-"
        text = super().format(record)
        return redact(text)
