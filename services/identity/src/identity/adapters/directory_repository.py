"""The customer directory's reads (R30): members found by their folded search text.

The text is one column kept by ``MemberRepository`` (``domain/directory.py`` folds
it); a ``pg_trgm`` GIN index answers ``LIKE '%term%'`` on it (migration
identity_0004). Pages run newest registration first.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from identity.adapters.tables import MemberRow
from identity.domain.directory import ENTRY_START, DirectoryEntry, SearchTerm
from identity.domain.member import MEMBER
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

_ENTRY_COLUMNS = (
    col(MemberRow.id),
    col(MemberRow.status),
    col(MemberRow.entity_type),
    col(MemberRow.organization_name),
    col(MemberRow.name),
    col(MemberRow.name_kana),
    col(MemberRow.corporate_number),
    col(MemberRow.login_id),
    col(MemberRow.contact_email),
    col(MemberRow.phone),
    col(MemberRow.created_at).label("registered_at"),
)
_NEWEST_FIRST = [col(MemberRow.created_at), col(MemberRow.id)]


def _pattern(term: SearchTerm) -> str:
    """The LIKE pattern of ``term``: anywhere, or right after an entry's start (a
    boundary ``pg_trgm`` sees, so even a one-character term has a trigram)."""
    escaped = term.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%" if term.anywhere else f"%{ENTRY_START}{escaped}%"


def search_statement(terms: Sequence[SearchTerm], *, limit: int, cursor: str | None = None) -> Any:
    """The directory's query: members whose text contains any of ``terms`` (every
    member when there are none), newest first, ``limit + 1`` rows after ``cursor``.
    ``bench/run_bench.py`` explains this very statement."""
    query = sa.select(*_ENTRY_COLUMNS).where(col(MemberRow.kind) == MEMBER)
    if terms:
        search = col(MemberRow.search_text)
        query = query.where(sa.or_(*(search.like(_pattern(t), escape="\\") for t in terms)))
    return after_cursor(query, _NEWEST_FIRST, cursor, descending=True).limit(limit + 1)


class MemberDirectory(SqlRepository):
    """Members as ops find and name them (read only)."""

    async def search(
        self, terms: Sequence[SearchTerm], *, limit: int, cursor: str | None
    ) -> Page[DirectoryEntry]:
        """One page of the members matching any of ``terms``.

        Raises ``servicekit.pagination.InvalidCursor`` for a cursor it did not hand out.
        """
        # Planned for the pattern at hand: a generic plan of a prepared statement
        # cannot tell a selective term (trigram index) from a common one.
        await self.session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
        query = search_statement(terms, limit=limit, cursor=cursor)
        rows = (await self.session.execute(query)).all()
        page = page_of(rows, limit=limit, key=lambda r: (r.registered_at, r.id))
        return Page([DirectoryEntry(**r._mapping) for r in page.items], page.next_cursor)

    async def entries(self, member_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, DirectoryEntry]:
        """The members among ``member_ids``, by id."""
        if not member_ids:
            return {}
        rows = await self.session.execute(
            sa.select(*_ENTRY_COLUMNS).where(col(MemberRow.id).in_(list(member_ids)))
        )
        return {r.id: DirectoryEntry(**r._mapping) for r in rows}
