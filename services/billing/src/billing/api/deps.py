"""Dependencies shared by the billing routers: runtime, settings, clock, the caller."""

from __future__ import annotations

import uuid
from typing import Annotated, cast

from fastapi import Depends, Request

from billing.config import Settings
from servicekit.auth import CurrentMember
from servicekit.clock import Clock
from servicekit.problems import Problem
from servicekit.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


def _settings(request: Request) -> Settings:
    return cast(Settings, _runtime(request).settings)


def _clock(request: Request) -> Clock:
    return _runtime(request).clock


def _member_id(member: CurrentMember) -> uuid.UUID:
    try:
        return uuid.UUID(member.subject)
    except ValueError:
        raise Problem(
            403, "auth.not_a_member", ja="会員としてログインしてください。", en="Members only."
        ) from None


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
#: The calling member's id (their token's subject).
MemberIdDep = Annotated[uuid.UUID, Depends(_member_id)]
