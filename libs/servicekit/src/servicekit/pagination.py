"""Keyset pagination: opaque cursors and pages, written once for every listing.

A listing orders its rows by a unique key (for example ``(created_at, id)``),
fetches ``limit + 1`` rows after the cursor's key, and answers a :class:`Page`
whose ``next_cursor`` continues after the last item. Cursors are base64url JSON
of the key's values with their types, so a cursor this code did not hand out is
refused with :class:`InvalidCursor`, which every service app answers with 422
``request.invalid_cursor`` (it is a :class:`servicekit.errors.Invalid`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from servicekit.errors import Invalid

T = TypeVar("T")
S = TypeVar("S", bound=sa.Select[Any])

Key = tuple[Any, ...]

_ENCODERS: dict[type, tuple[str, Callable[[Any], Any]]] = {
    bool: ("b", bool),
    int: ("i", int),
    str: ("s", str),
    uuid.UUID: ("u", str),
    datetime: ("t", datetime.isoformat),
    date: ("d", date.isoformat),
}
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "b": bool,
    "i": int,
    "s": str,
    "u": uuid.UUID,
    "t": datetime.fromisoformat,
    "d": date.fromisoformat,
}


class InvalidCursor(Invalid, ValueError):
    """A cursor this service did not hand out (or one for another listing)."""

    def __init__(self, cursor: str = "") -> None:
        super().__init__("request.invalid_cursor", ja="カーソルが不正です。", en="Invalid cursor.")
        self.cursor = cursor


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the cursor continuing it (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(*key: Any) -> str:
    """The opaque cursor continuing a listing after the row whose key is ``key``."""
    parts = []
    for value in key:
        # By isinstance, in the table's order: bool before int, datetime before date,
        # and a driver's own UUID class (asyncpg's) is a UUID.
        tag, encode = next(codec for kind, codec in _ENCODERS.items() if isinstance(value, kind))
        parts.append([tag, encode(value)])
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *types: type) -> Key:
    """The key inside ``cursor``, checked against the listing's key ``types``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
        if not isinstance(parts, list) or len(parts) != len(types):
            raise InvalidCursor(cursor)
        values = []
        for (tag, text), expected in zip(parts, types, strict=True):
            if _ENCODERS.get(expected, ("",))[0] != tag:
                raise InvalidCursor(cursor)
            values.append(_DECODERS[tag](text))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError):
        raise InvalidCursor(cursor) from None
    return tuple(values)


def page_of(rows: Sequence[T], *, limit: int, key: Callable[[T], Key]) -> Page[T]:
    """The page of ``rows`` fetched as ``limit + 1``: the extra row only says "more"."""
    items = list(rows[:limit])
    more = len(rows) > limit and items
    return Page(items=items, next_cursor=encode_cursor(*key(items[-1])) if more else None)


def after_cursor(
    statement: S,
    columns: Sequence[Any],
    cursor: str | None,
    *,
    descending: bool = False,
) -> S:
    """``statement`` ordered by ``columns`` and limited to rows after ``cursor``.

    The column types come from the columns' Python types, so the cursor of another
    listing is refused.
    """
    direction = [column.desc() if descending else column.asc() for column in columns]
    statement = statement.order_by(*direction)
    if cursor is None:
        return statement
    types = tuple(column.type.python_type for column in columns)
    key = decode_cursor(cursor, *types)
    left = sa.tuple_(*columns)
    right = sa.tuple_(
        *(sa.literal(value, column.type) for value, column in zip(key, columns, strict=True))
    )
    return statement.where(left < right if descending else left > right)
