"""Logging: one JSON object per line in production, readable lines in development.

Every request leaves one line on the `gateway.access` logger (see
gateway/http/_request_log.py) with its fields in `record.fields`. Nothing here ever
sees a credential: callers log fingerprints, codes and counts.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

ACCESS = "gateway.access"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class ReadableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        if not isinstance(fields, dict):
            return super().format(record)
        errors = ",".join(fields.get("errorCodes") or ()) or "-"
        return (
            f"{fields.get('method')} {fields.get('path')} {fields.get('status')} "
            f"{fields.get('operation') or '-'} {fields.get('durationMs')} ms "
            f"upstream={fields.get('upstreamCalls')} cache={fields.get('cache') or {}} "
            f"errors={errors} id={fields.get('requestId')}"
        )


def configure_logging(level: str, *, json_lines: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if json_lines else ReadableFormatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every upstream call at INFO: the access line already counts them,
    # and a line per call costs more than the call's own bookkeeping.
    debugging = logging.getLevelName(level) == logging.DEBUG
    logging.getLogger("httpx").setLevel(logging.NOTSET if debugging else logging.WARNING)
