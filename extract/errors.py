"""Errors of extraction: values with an exit status, printed as one line by the CLI."""
from __future__ import annotations


class ExtractError(Exception):
    """The document could not be read (exit status 2)."""

    exit_status = 2
    kind = "unreadable"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnsupportedFormat(ExtractError):
    """A file type nianbao does not read (images, spreadsheets, archives...)."""

    kind = "unsupported"


class NotAReport(ExtractError):
    """Readable, but not an annual report (a 通知, a 解读...): exit status 3."""

    exit_status = 3
    kind = "not_a_report"
