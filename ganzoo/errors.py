"""The exceptions ganzoo raises on purpose.

Every error a user can cause is a :class:`GanzooError`. The CLI prints its message as one line
on stderr and exits with :attr:`GanzooError.exit_code` (2 for bad usage, 1 for failures), so
messages should say what went wrong *and* what to do next.
"""

from __future__ import annotations


class GanzooError(Exception):
    """Base class of the errors a user can see; carries the CLI exit code."""

    exit_code = 1


class UsageError(GanzooError):
    """The user asked for something that cannot mean anything (bad option, bad name)."""

    exit_code = 2


class UnknownNameError(UsageError, LookupError):
    """A name that no registry holds; the message lists close matches."""


class PluginError(GanzooError):
    """A plugin failed to import, register or build what it registered."""


class DataUnavailableError(GanzooError):
    """A dataset's files are missing and cannot be fetched (offline, say)."""


class CheckpointError(GanzooError):
    """A checkpoint or run directory is missing, corrupt or does not match its config."""


class HubError(GanzooError):
    """A Hugging Face Hub operation failed; the message names the next step."""


class TrainingError(GanzooError):
    """Training cannot go on (a NaN loss, say); the last good checkpoint is kept."""
