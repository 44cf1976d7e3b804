"""One exception family: the UI turns each into a plain sentence, never a traceback."""


class TrainingError(Exception):
    """Root of every error the platform raises on purpose; its message is safe to show a user."""


class BankError(TrainingError):
    """A question bank or the certification policy is invalid."""


class AuthError(TrainingError):
    """Sign-in failed, or an account rule was broken."""


class PermissionDenied(TrainingError):
    """The signed-in role may not see or do this."""


class StoreError(TrainingError):
    """The record store could not be reached or refused a write; nothing was half-written."""


class QuizError(TrainingError):
    """A quiz or exam rule refused the request (daily limit, locked exam, deadline passed)."""


class ImportRejected(TrainingError):
    """An uploaded file was rejected whole; `problems` lists each one with its line."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class LastManagerError(AuthError):
    """The change would leave the clinic without an active manager."""


class SettingsError(TrainingError):
    """A setting (environment or .streamlit/secrets.toml) has a value the app cannot use."""
