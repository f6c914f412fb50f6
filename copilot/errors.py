"""Errors a user can act on.

A `UserError` is printed as one line (no traceback) by the CLI and shown in the window by the UI.
Its message names the file or device involved and says what to do.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with the user's input or setup, with a message meant for them."""

    exit_code = 1


class UsageError(UserError):
    """The command was called wrongly (exit code 2 in the CLI contract)."""

    exit_code = 2


class InputFileError(UserError):
    """A file given by the user cannot be used; the message starts with its path."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ModelMissingError(UserError):
    """A model the pipeline needs was not found; the message says how to install it."""


class IndexBusyError(UserError):
    """Another process owns the story index."""
