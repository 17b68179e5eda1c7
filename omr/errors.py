"""Typed errors with exit codes, in the manner of OCRmyPDF.

Every error a user can cause carries a Vietnamese message meant to be read by
scanning staff, naming the file (and page, line or field) at fault. The CLI
prints the message alone, without a traceback, and exits with ``exit_code``.
"""

from __future__ import annotations


class OmrError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadArgumentsError(OmrError):
    exit_code = 2


class TemplateError(OmrError):
    """The template YAML is invalid: the message names the file, line and field."""

    exit_code = 3


class TemplateChangedError(TemplateError):
    """The questions changed but the version number did not."""


class FontMissingError(OmrError):
    exit_code = 4


class InputFileError(OmrError):
    """A scan file cannot be read (corrupt, encrypted, empty, too large)."""

    exit_code = 5


class PageError(OmrError):
    """One page cannot be used; the batch goes on without it."""

    exit_code = 6

    def __init__(self, message: str, reason: str = "unreadable"):
        super().__init__(message)
        self.reason = reason


class DatabaseError(OmrError):
    exit_code = 7
