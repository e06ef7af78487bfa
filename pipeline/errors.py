"""Errors a user can fix. The CLI prints them as one line and exits non-zero, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or configuration: the message names the file, row or field and what is wrong."""

    exit_code = 2


class ValidationFailed(UserError):
    """A critical expectation failed: nothing was committed."""

    exit_code = 3


class WarehouseBusy(UserError):
    """Another run holds the warehouse."""

    exit_code = 4
