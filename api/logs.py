"""One logging configuration for every process: ``serve`` (each uvicorn worker), ``worker`` and
the command line. Records are JSON lines on standard error, which systemd's journal (or any
container runtime) collects; see ``deploy/README.md`` for shipping them on.

A line carries its time (UTC), level, logger and message, the request id of the request it was
written in (set by ``api.observability``), and only the extra fields named in ``FIELDS``:
libraries attach extras of their own, and SpiffWorkflow's include a task's data, which is a
child's data. For the same reason SpiffWorkflow's loggers are held at WARNING (below INFO they
also copy the task data into every record they make).
"""
from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# The request a line was written in; "-" outside any request (the worker, the command line).
request_id_var: ContextVar[str | None] = ContextVar("khumkrong_request_id", default=None)

# Extra fields a line may carry besides time, level, logger, message and request_id. Anything
# else a caller or a library attaches is dropped rather than risk a child's data in the logs.
FIELDS = frozenset({
    # a request (api.observability)
    "method", "route", "status", "duration_ms", "user_id", "client",
    # backups (api.cli_ops)
    "file", "dialect", "revision", "tables", "rows", "bytes",
    # errors
    "exc_info", "stack_info",
})

# Loggers whose INFO and DEBUG records carry workflow data, SQL parameters, request bodies or
# raw request lines: SQLAlchemy logs every statement with its parameters once INFO is enabled.
QUIET_LOGGERS = (
    "spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn",
    "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm",
    "uvicorn.access", "multipart", "python_multipart",
)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request id in effect where it was made."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class KhumkrongJsonFormatter(JsonFormatter):
    """python-json-logger's formatter, keeping only the fields this project names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [key for key in log_data if key not in _KEPT]:
            del log_data[key]


_KEPT = FIELDS | {"time", "level", "logger", "message", "request_id"}


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` dictionary (uvicorn applies it in each worker process)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": KhumkrongJsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                "formatter": "json", "filters": ["request_id"],
            },
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own loggers propagate to the root's JSON handler instead of printing text.
            "uvicorn": {"level": level.upper(), "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            **{name: {"level": "WARNING", "handlers": [], "propagate": True} for name in QUIET_LOGGERS},
        },
    }


def configure_logging(level: str = "INFO") -> dict[str, Any]:
    """Apply the configuration to this process; returns it, for uvicorn's worker processes."""
    config = logging_config(level)
    logging.config.dictConfig(config)
    return config
