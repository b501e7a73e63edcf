"""Domain errors: what a rule says when it refuses, without knowing about HTTP.

Domain and service-layer code raise these (or their own subclasses); the edge
turns them into problem details (``servicekit.problems.problem_of_domain_error``,
installed on every service app): the class says which kind of refusal it is, the
``code`` is the stable machine-readable name, ``ja``/``en`` the human detail.

This module is pure: domain packages may import it.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command refused by a rule (answered as 422 unless a subclass says otherwise)."""

    def __init__(
        self,
        code: str,
        *,
        ja: str,
        en: str,
        errors: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(en)
        self.code = code
        self.ja = ja
        self.en = en
        self.errors = errors
        self.retry_after = retry_after
        self.extra = extra


class Invalid(DomainError):
    """The input breaks a rule (422)."""


class NotFound(DomainError):
    """No such thing, or not the caller's (404: members never learn what others have)."""


class Conflict(DomainError):
    """The thing's current state does not allow the command (409)."""


class Forbidden(DomainError):
    """The caller may not do this (403)."""


class Unauthenticated(DomainError):
    """The credentials or token do not prove who the caller is (401)."""


class TooManyAttempts(DomainError):
    """A limit was reached; ``retry_after`` seconds until it may be tried again (429)."""


class PayloadTooLarge(DomainError):
    """The content is larger than the rule allows (413)."""


class UnsupportedContent(DomainError):
    """The content is not of a kind the rule accepts (415)."""


class Unavailable(DomainError):
    """Something the command needs is out of reach for now (503)."""
