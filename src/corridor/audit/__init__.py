"""``corridor audit``: check a published log independently, with nothing but its key.

:func:`audit` reads a log from a :class:`LogSource` (a directory or a ``/log/`` URL), checks the
checkpoint, the tiles, every entry and its signature and key, and every bulletin, and returns an
:class:`AuditReport` listing every :class:`Finding`. :func:`verify_receipt` checks one passage
receipt offline.
"""

from corridor.audit.auditor import Progress, audit
from corridor.audit.receipt import ReceiptResult, verify_receipt
from corridor.audit.report import AuditReport, CheckpointInfo, Counts, Finding, render_text
from corridor.audit.source import (
    DirectorySource,
    HttpSource,
    LogSource,
    LogUnavailableError,
    SourceTileReader,
    open_source,
)

__all__ = [
    "AuditReport",
    "CheckpointInfo",
    "Counts",
    "DirectorySource",
    "Finding",
    "HttpSource",
    "LogSource",
    "LogUnavailableError",
    "Progress",
    "ReceiptResult",
    "SourceTileReader",
    "audit",
    "open_source",
    "render_text",
    "verify_receipt",
]
