"""Errors of the case service, each with a stable code and a Chinese message a person can act on."""
from __future__ import annotations


class CaseError(Exception):
    """Base of the service's refusals; the web layer turns `code` into an HTTP status."""

    code = "case_error"

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CaseNotFound(CaseError, LookupError):
    code = "case_not_found"

    def __init__(self, number: str) -> None:
        super().__init__(f"没有编号为 {number} 的案件。")
        self.number = number


class AlreadyClaimed(CaseError, RuntimeError):
    code = "already_claimed"

    def __init__(self, number: str) -> None:
        super().__init__(f"案件 {number} 已被其他调解员认领，或已不在待办队列中。")
        self.number = number


class PermissionDenied(CaseError):
    code = "forbidden"


class InvalidInput(CaseError):
    """A request the service understood but cannot accept as given (missing reason, unknown code ...)."""

    code = "invalid_input"


class Conflict(CaseError):
    """The case is not in a state where this makes sense (not the holder, nothing to escalate to ...)."""

    code = "conflict"
