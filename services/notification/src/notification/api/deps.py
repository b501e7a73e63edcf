"""Dependencies and problems shared by the notification routers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from servicekit.problems import Problem
from servicekit.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def member_uuid(subject: str) -> uuid.UUID:
    """The member id of a token's subject (identity issues UUIDs)."""
    try:
        return uuid.UUID(subject)
    except ValueError:
        raise Problem(
            403,
            "auth.not_a_member",
            ja="会員としてログインしてください。",
            en="Log in as a member.",
        ) from None
