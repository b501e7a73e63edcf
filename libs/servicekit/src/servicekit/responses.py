"""JSON bytes and the JSON response class every bizmall app answers with.

orjson is several times faster than the standard library and knows UUIDs,
dates and timezone-aware datetimes natively. Money is integer yen everywhere,
so ``Decimal`` is deliberately not supported: meeting one is a bug.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import JSONResponse

# Naive datetimes are treated as UTC so that every timestamp leaves with an
# offset (the system stores UTC only), written "Z" as pydantic writes it for
# typed responses; keys may be ints or UUIDs (grouped data).
_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def json_bytes(obj: Any) -> bytes:
    """Serialise ``obj`` to compact UTF-8 JSON.

    Handles what orjson handles (UUID, date, datetime, enums, dataclasses) plus
    pydantic models and sets; raises ``TypeError`` for anything else.
    """
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


class ORJSONResponse(JSONResponse):
    """A JSON response rendered with :func:`json_bytes`."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
