"""The one exception root, and the exit code each kind of failure maps to.

Third-party errors are translated into these once, at the module that talks to
the third party; the CLI has the single handler that turns them into exit codes.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_SERVICE = 3


class ReviewerError(Exception):
    """Base of every error reviewer raises on purpose."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class InputError(ReviewerError):
    """Bad input, usage or configuration: exit 2."""


class UsageError(InputError):
    """The command line asks for something impossible."""


class DiffError(InputError):
    """The diff cannot be parsed; names the source and the offending line."""

    def __init__(self, message: str, *, source: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line


class ConfigError(InputError):
    """The configuration is invalid; names the file and the key."""

    def __init__(self, message: str, *, source: str, key: str | None = None) -> None:
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.key = key


class GitError(InputError):
    """git refused or failed (not a repository, unknown ref, ...)."""


class ServiceError(ReviewerError):
    """A remote service failed after the client's own retries: exit 3."""

    exit_code = EXIT_SERVICE

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.request_id = request_id
        self.status = status

    def __str__(self) -> str:
        text = super().__str__()
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class AuthError(ServiceError):
    """The service rejected the credentials; retrying will not help."""
