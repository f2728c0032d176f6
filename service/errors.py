"""The domain's exceptions. Domain code knows no HTTP codes; the API maps these to RFC 9457."""

from __future__ import annotations

from typing import Any


class JixiaoError(Exception):
    """Base of every error the domain raises on purpose."""

    kind = "error"
    title = "Error"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(JixiaoError):
    kind, title = "not-found", "Not found"


class Conflict(JixiaoError):
    kind, title = "conflict", "Conflict"


class Forbidden(JixiaoError):
    kind, title = "forbidden", "Forbidden"


class Unauthorized(JixiaoError):
    kind, title = "unauthorized", "Authentication required"


class InvalidInput(JixiaoError):
    kind, title = "invalid-input", "Invalid input"


class InvalidTransition(JixiaoError):
    kind, title = "invalid-transition", "Not allowed in the current state"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, state: str | None = None) -> None:
        super().__init__(detail, errors)
        self.state = state  # the instance's status that refused the command, when that is the reason


class StaleVersion(Conflict):
    """Another writer changed the instance between this command's read and its write (the optimistic check)."""


class AlreadyDone(Conflict):
    """The work a command would do has been done already (e.g. an external task completed by another worker)."""


class InvalidModel(JixiaoError):
    kind, title = "invalid-model", "Invalid process model"


class EngineFailure(JixiaoError):
    """The process model failed while running (a script error, a step limit): nothing was stored."""

    kind, title = "engine-failure", "The process could not proceed"


class TooManyRequests(JixiaoError):
    kind, title = "too-many-requests", "Too many requests"


class PayloadTooLarge(JixiaoError):
    kind, title = "payload-too-large", "Upload too large"
