"""Identity's repositories: every SQL statement the service layer needs.

Rows are mapped to the domain's dataclasses by field name. A repository remembers
what it loaded or added, with a snapshot of its fields; at flush and commit the
unit of work has it write back only the fields the domain changed (so a bulk
UPDATE of other columns in the same transaction is never overwritten).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col

from bizmall_events.identity import BlockingItem
from identity.adapters.tables import (
    IdentityDocumentRow,
    MemberRow,
    OneTimeTokenRow,
    RefreshTokenRow,
    SigningKeyRow,
    WithdrawalRequestRow,
)
from identity.domain.directory import search_text
from identity.domain.documents import IdentityDocument
from identity.domain.member import Member, normalised_login_id
from identity.domain.tokens import LinkToken, RefreshToken
from identity.domain.withdrawal import CHECKING, OPEN_STATES, WithdrawalRequest
from servicekit.aggregate import Aggregate
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository
from servicekit.uow import UnitOfWork

D = TypeVar("D")
R = TypeVar("R", bound=SQLModel)


class MappedRepository(SqlRepository, Generic[D, R]):
    """Loads rows as domain objects and writes the domain's changes back to them."""

    domain: ClassVar[type[Any]]
    row: ClassVar[type[SQLModel]]
    key: ClassVar[str] = "id"

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self._seen: dict[Any, tuple[D, R, dict[str, Any]]] = {}

    @staticmethod
    def _state(item: Any) -> dict[str, Any]:
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}

    def _columns(self, state: dict[str, Any]) -> dict[str, Any]:
        """Domain values → column values (the same unless a subclass says otherwise)."""
        return state

    def _fields(self, row: R) -> dict[str, Any]:
        """Column values → domain values."""
        return {f.name: getattr(row, f.name) for f in dataclasses.fields(self.domain)}

    def _remember(self, item: D, row: R, state: dict[str, Any]) -> D:
        self._seen[getattr(row, self.key)] = (item, row, state)
        if isinstance(item, Aggregate):
            self.track(item)
        return item

    def _load(self, row: R | None) -> D | None:
        if row is None:
            return None
        seen = self._seen.get(getattr(row, self.key))
        if seen is not None:
            return seen[0]
        item: D = self.domain(**self._fields(row))
        return self._remember(item, row, self._state(item))

    def _load_all(self, rows: Sequence[R]) -> list[D]:
        return [item for item in map(self._load, rows) if item is not None]

    def _new_row(self, item: D) -> R:
        state = self._state(item)
        # Left-out values get the table's defaults.
        values = {k: v for k, v in self._columns(state).items() if v is not None}
        row: R = self.row(**values)  # type: ignore[assignment]
        self._remember(item, row, state)
        return row

    async def _one(self, query: Any) -> D | None:
        return self._load((await self.session.execute(query)).scalar_one_or_none())

    async def _all(self, query: Any) -> list[D]:
        return self._load_all(list((await self.session.execute(query)).scalars()))

    def add(self, item: D) -> D:
        """Store a new ``item`` (inserted at the next flush or commit)."""
        self.session.add(self._new_row(item))
        return item

    def write_back(self) -> None:
        """Copy the fields the domain changed onto their rows."""
        for key, (item, row, before) in self._seen.items():
            now = self._state(item)
            changed = {k: v for k, v in now.items() if before[k] != v}
            for name, value in self._columns(changed).items():
                setattr(row, name, value)
            self._seen[key] = (item, row, now)


def _locked(query: Any, lock: bool) -> Any:
    return query.with_for_update() if lock else query


def login_id_holder(login_id: Any, *columns: Any) -> sa.Select[Any]:
    """``columns`` of the account holding ``login_id`` (a normalised login ID or a bind
    parameter): the one not withdrawn if any, else the latest withdrawn one (R8:
    withdrawal releases a login ID, the row stays). The repository and the login's
    own statement (``adapters/login_store.py``) share this one definition."""
    return (
        sa.select(*columns)
        .where(col(MemberRow.login_id) == login_id)
        .order_by(col(MemberRow.status) == "withdrawn", col(MemberRow.created_at).desc())
        .limit(1)
    )


class MemberRepository(MappedRepository[Member, MemberRow]):
    """Members and operators; each write also keeps the directory's search text (R30)."""

    domain = Member
    row = MemberRow

    def _new_row(self, item: Member) -> MemberRow:
        row = super()._new_row(item)
        row.search_text = search_text(item)
        return row

    def write_back(self) -> None:
        super().write_back()
        for member, row, _ in self._seen.values():
            text = search_text(member)
            if row.search_text != text:
                row.search_text = text

    async def get(self, member_id: uuid.UUID, *, lock: bool = False) -> Member | None:
        query = sa.select(MemberRow).where(col(MemberRow.id) == member_id)
        return await self._one(_locked(query, lock))

    async def by_login_id(self, login_id: str, *, lock: bool = False) -> Member | None:
        """The account holding ``login_id`` (see :func:`login_id_holder`)."""
        query = login_id_holder(normalised_login_id(login_id), MemberRow)
        return await self._one(_locked(query, lock))

    async def operators(self) -> list[Member]:
        """Every operator account, oldest first (operators are few)."""
        return await self._all(
            sa.select(MemberRow)
            .where(col(MemberRow.kind) == "ops")
            .order_by(col(MemberRow.created_at), col(MemberRow.id))
        )

    async def add_unless_taken(self, member: Member) -> bool:
        """Insert ``member`` now; False (nothing stored) when its login ID is taken,
        e.g. by a concurrent registration of the same email that won the race."""
        row = self._new_row(member)
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            del self._seen[row.id]
            return False
        return True


class LinkTokenRepository(MappedRepository[LinkToken, OneTimeTokenRow]):
    """One-time link tokens, stored by digest."""

    domain = LinkToken
    row = OneTimeTokenRow
    key = "token_hash"

    async def replace(self, token: LinkToken) -> None:
        """Store ``token``; earlier unused tokens of its member and purpose stop working."""
        await self.session.execute(
            sa.update(OneTimeTokenRow)
            .where(
                col(OneTimeTokenRow.member_id) == token.member_id,
                col(OneTimeTokenRow.purpose) == token.purpose,
                col(OneTimeTokenRow.used_at).is_(None),
            )
            .values(used_at=token.created_at or self.clock())
        )
        self.add(token)

    async def find(self, token_hash: str, *, purpose: str) -> LinkToken | None:
        """The token with ``token_hash`` for ``purpose``, locked for its use."""
        return await self._one(
            sa.select(OneTimeTokenRow)
            .where(
                col(OneTimeTokenRow.token_hash) == token_hash,
                col(OneTimeTokenRow.purpose) == purpose,
            )
            .with_for_update()
        )


class SessionRepository(MappedRepository[RefreshToken, RefreshTokenRow]):
    """Refresh tokens and their session families."""

    domain = RefreshToken
    row = RefreshTokenRow
    key = "token_hash"

    async def find(self, token_hash: str, *, lock: bool = False) -> RefreshToken | None:
        query = sa.select(RefreshTokenRow).where(col(RefreshTokenRow.token_hash) == token_hash)
        return await self._one(_locked(query, lock))

    async def revoke(
        self,
        *,
        member_id: uuid.UUID,
        now: datetime,
        family: uuid.UUID | None = None,
        keep_family: uuid.UUID | None = None,
    ) -> None:
        """Revoke one family, or every family of the member (except ``keep_family``)."""
        where = [
            col(RefreshTokenRow.member_id) == member_id,
            col(RefreshTokenRow.revoked_at).is_(None),
        ]
        if family is not None:
            where.append(col(RefreshTokenRow.family_id) == family)
        if keep_family is not None:
            where.append(col(RefreshTokenRow.family_id) != keep_family)
        await self.session.execute(sa.update(RefreshTokenRow).where(*where).values(revoked_at=now))


class DocumentRepository(MappedRepository[IdentityDocument, IdentityDocumentRow]):
    """Identity documents (the records; the files are in the document store)."""

    domain = IdentityDocument
    row = IdentityDocumentRow

    async def get(self, document_id: uuid.UUID, *, lock: bool = False) -> IdentityDocument | None:
        query = sa.select(IdentityDocumentRow).where(col(IdentityDocumentRow.id) == document_id)
        return await self._one(_locked(query, lock))

    async def of_member(self, member_id: uuid.UUID) -> list[IdentityDocument]:
        """The member's documents, newest first."""
        return await self._all(
            sa.select(IdentityDocumentRow)
            .where(col(IdentityDocumentRow.member_id) == member_id)
            .order_by(col(IdentityDocumentRow.uploaded_at).desc())
        )

    async def in_status(self, status: str, *, limit: int = 200) -> list[IdentityDocument]:
        """Documents in ``status``, oldest first; pending ones only while their file exists
        (the review queue)."""
        query = sa.select(IdentityDocumentRow).where(col(IdentityDocumentRow.status) == status)
        if status == "pending":
            query = query.where(col(IdentityDocumentRow.file_deleted_at).is_(None))
        return await self._all(query.order_by(col(IdentityDocumentRow.uploaded_at)).limit(limit))

    async def pending_count(self, member_id: uuid.UUID) -> int:
        """How many of the member's documents wait for review with their file."""
        count = await self.session.scalar(
            sa.select(sa.func.count())
            .select_from(IdentityDocumentRow)
            .where(
                col(IdentityDocumentRow.member_id) == member_id,
                col(IdentityDocumentRow.status) == "pending",
                col(IdentityDocumentRow.file_deleted_at).is_(None),
            )
        )
        return int(count or 0)

    async def unreviewed_before(
        self, horizon: datetime, *, limit: int = 500
    ) -> list[IdentityDocument]:
        """Documents uploaded before ``horizon`` and still waiting for review with their
        file (locked, skipping those another worker holds)."""
        return await self._all(
            sa.select(IdentityDocumentRow)
            .where(
                col(IdentityDocumentRow.status) == "pending",
                col(IdentityDocumentRow.uploaded_at) < horizon,
                col(IdentityDocumentRow.file_deleted_at).is_(None),
            )
            .with_for_update(skip_locked=True)
            .limit(limit)
        )

    async def reviewed_before(
        self, horizon: datetime, *, limit: int = 500
    ) -> list[IdentityDocument]:
        """Documents reviewed before ``horizon`` whose file still exists (locked, skipping
        those another worker holds)."""
        return await self._all(
            sa.select(IdentityDocumentRow)
            .where(
                col(IdentityDocumentRow.reviewed_at) < horizon,
                col(IdentityDocumentRow.file_deleted_at).is_(None),
            )
            .with_for_update(skip_locked=True)
            .limit(limit)
        )


class WithdrawalRepository(MappedRepository[WithdrawalRequest, WithdrawalRequestRow]):
    """Withdrawal requests; blocking items are stored as JSON."""

    domain = WithdrawalRequest
    row = WithdrawalRequestRow

    def _columns(self, state: dict[str, Any]) -> dict[str, Any]:
        if "blocking_items" in state:
            items = state["blocking_items"]
            state = {**state, "blocking_items": [i.model_dump(mode="json") for i in items]}
        return state

    def _fields(self, row: WithdrawalRequestRow) -> dict[str, Any]:
        values = super()._fields(row)
        values["blocking_items"] = tuple(
            BlockingItem.model_validate(item) for item in values["blocking_items"]
        )
        return values

    async def get(
        self, withdrawal_id: uuid.UUID, *, lock: bool = False
    ) -> WithdrawalRequest | None:
        query = sa.select(WithdrawalRequestRow).where(col(WithdrawalRequestRow.id) == withdrawal_id)
        return await self._one(_locked(query, lock))

    async def open_of(self, member_id: uuid.UUID) -> WithdrawalRequest | None:
        """The member's request still checking or awaiting ops, if any."""
        return await self._one(
            sa.select(WithdrawalRequestRow).where(
                col(WithdrawalRequestRow.member_id) == member_id,
                col(WithdrawalRequestRow.status).in_(OPEN_STATES),
            )
        )

    async def latest_of(self, member_id: uuid.UUID) -> WithdrawalRequest | None:
        return await self._one(
            sa.select(WithdrawalRequestRow)
            .where(col(WithdrawalRequestRow.member_id) == member_id)
            .order_by(col(WithdrawalRequestRow.requested_at).desc())
            .limit(1)
        )

    async def in_status(
        self, status: str, *, limit: int, cursor: str | None = None
    ) -> Page[WithdrawalRequest]:
        """One page of the requests in ``status``, oldest first.

        Raises ``servicekit.pagination.InvalidCursor`` for a cursor it did not hand out.
        """
        key = [col(WithdrawalRequestRow.requested_at), col(WithdrawalRequestRow.id)]
        query = sa.select(WithdrawalRequestRow).where(col(WithdrawalRequestRow.status) == status)
        query = after_cursor(query, key, cursor).limit(limit + 1)
        rows = list((await self.session.execute(query)).scalars())
        page = page_of(rows, limit=limit, key=lambda r: (r.requested_at, r.id))
        return Page(self._load_all(page.items), page.next_cursor)

    async def still_checking(self, *, limit: int = 100) -> list[WithdrawalRequest]:
        """Requests ordering has not answered yet (locked, skipping those another
        worker holds)."""
        return await self._all(
            sa.select(WithdrawalRequestRow)
            .where(col(WithdrawalRequestRow.status) == CHECKING)
            .with_for_update(skip_locked=True)
            .limit(limit)
        )


class SigningKeyRepository(SqlRepository):
    """The token-signing keys (used by ``adapters/keys.py``)."""

    async def lock_rotation(self) -> None:
        """Serialise first-key creation and rotation between API processes."""
        await self.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('identity_keys'))")
        )

    async def current(self) -> SigningKeyRow | None:
        """The newest key not retired."""
        return (
            await self.session.execute(
                sa.select(SigningKeyRow)
                .where(col(SigningKeyRow.retired_at).is_(None))
                .order_by(col(SigningKeyRow.created_at).desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def rotate_in(self, key: SigningKeyRow, *, now: datetime) -> None:
        """Retire every current key and add ``key``."""
        await self.session.execute(
            sa.update(SigningKeyRow)
            .where(col(SigningKeyRow.retired_at).is_(None))
            .values(retired_at=now)
        )
        self.session.add(key)
        await self.session.flush()

    async def public_jwks(self, *, retired_after: datetime) -> list[str]:
        """The public JWKs (JSON) of current keys and keys retired after ``retired_after``."""
        rows = await self.session.execute(
            sa.select(col(SigningKeyRow.public_jwk)).where(
                sa.or_(
                    col(SigningKeyRow.retired_at).is_(None),
                    col(SigningKeyRow.retired_at) > retired_after,
                )
            )
        )
        return list(rows.scalars())
