"""Identity's unit of work, repositories and adapters, in memory (no database,
Redis, ordering or disk). The repositories have the SQL ones' method names and
signatures; the adapters the real ones'."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, BinaryIO, Self

from bizmall_events.identity import BlockingItem
from identity.adapters.document_store import CHUNK_BYTES, HEAD_BYTES, StoredFile
from identity.adapters.ordering_client import OrderingUnavailable
from identity.adapters.recent_rotations import RotatedPair
from identity.config import Settings
from identity.domain.directory import DirectoryEntry, SearchTerm, search_text
from identity.domain.documents import IdentityDocument
from identity.domain.member import Member, normalised_login_id
from identity.domain.tokens import LinkToken, RefreshToken
from identity.domain.withdrawal import CHECKING, OPEN_STATES, WithdrawalRequest
from servicekit.pagination import Page, decode_cursor, page_of
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository
from servicekit.uow import AuditEntry, BaseUnitOfWork

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class InMemoryMembers(InMemoryRepository[uuid.UUID, Member]):
    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda member: member.id)

    async def get(self, member_id: uuid.UUID, *, lock: bool = False) -> Member | None:
        return self.find(member_id)

    async def by_login_id(self, login_id: str, *, lock: bool = False) -> Member | None:
        """The live account with the login ID, else the latest withdrawn one (R8)."""
        found = self.where(lambda m: m.login_id == normalised_login_id(login_id))
        found.sort(key=lambda m: (not m.holds_login_id, -(m.created_at or NEVER).timestamp()))
        return found[0] if found else None

    async def add_unless_taken(self, member: Member) -> bool:
        """The partial unique index: a login ID is unique among accounts not withdrawn."""
        if any(m.login_id == member.login_id and m.holds_login_id for m in self):
            return False
        self.put(member)
        return True

    async def operators(self) -> list[Member]:
        return sorted(self.where(lambda m: m.is_operator), key=_registered)


class InMemoryLinkTokens(InMemoryRepository[str, LinkToken]):
    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda token: token.token_hash)

    async def replace(self, token: LinkToken) -> None:
        for earlier in self.where(
            lambda t: (
                t.member_id == token.member_id and t.purpose == token.purpose and t.used_at is None
            )
        ):
            earlier.used_at = token.created_at
        self.put(token)

    async def find(self, token_hash: str, *, purpose: str) -> LinkToken | None:  # type: ignore[override]
        token = self.items.get(token_hash)
        return token if token is not None and token.purpose == purpose else None


class InMemorySessions(InMemoryRepository[str, RefreshToken]):
    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda token: token.token_hash)

    def add(self, token: RefreshToken) -> RefreshToken:
        return self.put(token)

    async def find(self, token_hash: str, *, lock: bool = False) -> RefreshToken | None:  # type: ignore[override]
        return self.items.get(token_hash)

    async def revoke(
        self,
        *,
        member_id: uuid.UUID,
        now: datetime,
        family: uuid.UUID | None = None,
        keep_family: uuid.UUID | None = None,
    ) -> None:
        for token in self:
            if (
                token.member_id == member_id
                and token.revoked_at is None
                and (family is None or token.family_id == family)
                and (keep_family is None or token.family_id != keep_family)
            ):
                token.revoked_at = now

    def live_families(self, member_id: uuid.UUID) -> set[uuid.UUID]:
        """The member's families with a token neither revoked nor rotated."""
        return {
            t.family_id
            for t in self
            if t.member_id == member_id and t.revoked_at is None and t.rotated_at is None
        }


class InMemoryDocuments(InMemoryRepository[uuid.UUID, IdentityDocument]):
    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda document: document.id)

    def add(self, document: IdentityDocument) -> IdentityDocument:
        return self.put(document)

    async def get(self, document_id: uuid.UUID, *, lock: bool = False) -> IdentityDocument | None:
        return self.find(document_id)

    async def of_member(self, member_id: uuid.UUID) -> list[IdentityDocument]:
        found = self.where(lambda d: d.member_id == member_id)
        return sorted(found, key=lambda d: d.uploaded_at or datetime.min, reverse=True)

    async def in_status(self, status: str, *, limit: int = 200) -> list[IdentityDocument]:
        return self.where(
            lambda d: d.status == status and (status != "pending" or d.file_deleted_at is None)
        )[:limit]

    async def pending_count(self, member_id: uuid.UUID) -> int:
        return len(
            self.where(
                lambda d: (
                    d.member_id == member_id and d.status == "pending" and d.file_deleted_at is None
                )
            )
        )

    async def unreviewed_before(
        self, horizon: datetime, *, limit: int = 500
    ) -> list[IdentityDocument]:
        return self.where(
            lambda d: (
                d.status == "pending"
                and d.uploaded_at is not None
                and d.uploaded_at < horizon
                and d.file_deleted_at is None
            )
        )[:limit]

    async def reviewed_before(
        self, horizon: datetime, *, limit: int = 500
    ) -> list[IdentityDocument]:
        return self.where(
            lambda d: (
                d.reviewed_at is not None and d.reviewed_at < horizon and d.file_deleted_at is None
            )
        )[:limit]


class InMemoryWithdrawals(InMemoryRepository[uuid.UUID, WithdrawalRequest]):
    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda request: request.id)

    def add(self, request: WithdrawalRequest) -> WithdrawalRequest:
        return self.put(request)

    async def get(
        self, withdrawal_id: uuid.UUID, *, lock: bool = False
    ) -> WithdrawalRequest | None:
        return self.find(withdrawal_id)

    async def open_of(self, member_id: uuid.UUID) -> WithdrawalRequest | None:
        found = self.where(lambda r: r.member_id == member_id and r.status in OPEN_STATES)
        return found[0] if found else None

    async def latest_of(self, member_id: uuid.UUID) -> WithdrawalRequest | None:
        found = self.where(lambda r: r.member_id == member_id)
        return found[-1] if found else None

    async def in_status(
        self, status: str, *, limit: int, cursor: str | None = None
    ) -> Page[WithdrawalRequest]:
        found = sorted(self.where(lambda r: r.status == status), key=_requested)
        if cursor is not None:
            after = decode_cursor(cursor, datetime, uuid.UUID)
            found = [r for r in found if _requested(r) > after]
        return page_of(found, limit=limit, key=_requested)

    async def still_checking(self, *, limit: int = 100) -> list[WithdrawalRequest]:
        return self.where(lambda r: r.status == CHECKING)[:limit]


def _requested(request: WithdrawalRequest) -> tuple[datetime, uuid.UUID]:
    return (request.requested_at or datetime.min, request.id)


def _registered(member: Member) -> tuple[datetime, uuid.UUID]:
    return (member.created_at or datetime.min, member.id)


def _entry(member: Member) -> DirectoryEntry:
    return DirectoryEntry(
        id=member.id,
        status=member.status,
        entity_type=member.entity_type,
        organization_name=member.organization_name,
        name=member.name,
        name_kana=member.name_kana,
        corporate_number=member.corporate_number,
        login_id=member.login_id,
        contact_email=member.contact_email,
        phone=member.phone,
        registered_at=member.created_at or datetime.min,
    )


class InMemoryDirectory:
    """The directory over the fake members: the same folded text, matched by substring."""

    def __init__(self, members: InMemoryMembers) -> None:
        self._members = members

    async def search(
        self, terms: Sequence[SearchTerm], *, limit: int, cursor: str | None
    ) -> Page[DirectoryEntry]:
        found = [
            m
            for m in self._members
            if not m.is_operator and (not terms or any(t.found_in(search_text(m)) for t in terms))
        ]
        found.sort(key=_registered, reverse=True)
        if cursor is not None:
            before = decode_cursor(cursor, datetime, uuid.UUID)
            found = [m for m in found if _registered(m) < before]
        page = page_of(found, limit=limit, key=_registered)
        return Page([_entry(m) for m in page.items], page.next_cursor)

    async def entries(self, member_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, DirectoryEntry]:
        return {m.id: _entry(m) for m in self._members if m.id in member_ids}


class FakeIdentityUnitOfWork(FakeUnitOfWork):
    """Identity's unit of work in memory; its repositories outlive each ``async with``
    (they are the fake database). ``open`` tells whether a transaction is open now."""

    def __init__(self, *, now: datetime | None = None) -> None:
        super().__init__(producer="identity", now=now)
        self.members = InMemoryMembers(self)
        self.link_tokens = InMemoryLinkTokens(self)
        self.sessions = InMemorySessions(self)
        self.documents = InMemoryDocuments(self)
        self.withdrawals = InMemoryWithdrawals(self)
        self.directory = InMemoryDirectory(self.members)
        #: Only handed to the key ring, which the fake one ignores.
        self.signing_keys = object()
        self.open = False

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            self.open = False


class FakePasswords:
    """``hash:<password>`` hashes; ``old:`` ones need a rehash. Records whether a
    transaction was open during each verification."""

    def __init__(self, uow: FakeIdentityUnitOfWork | None = None) -> None:
        self._uow = uow
        self.verified_in_transaction: list[bool] = []
        self.hashed: list[str] = []

    async def hash(self, password: str) -> str:
        self.hashed.append(password)
        return f"hash:{password}"

    async def verify(self, stored: str | None, password: str) -> bool:
        self.verified_in_transaction.append(bool(self._uow and self._uow.open))
        return stored is not None and stored.split(":", 1)[1] == password

    def needs_rehash(self, stored: str) -> bool:
        return stored.startswith("old:")


class FakeThrottle:
    """``LoginThrottle``'s rules over dicts: an attempt is reserved before it is checked,
    per login ID and address, per login ID, and per operator's second factor."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.locked: dict[tuple[str, str], int] = {}

    def _scopes(self, login_id: str, ip: str) -> list[tuple[tuple[str, str], int]]:
        account = normalised_login_id(login_id)
        return [
            (
                ("account_address", f"{account}:{ip}"),
                self._settings.login_max_failures_per_account_address,
            ),
            (("account", account), self._settings.login_max_failures_per_account),
        ]

    def _totp(self, member_id: uuid.UUID) -> list[tuple[tuple[str, str], int]]:
        return [(("totp", str(member_id)), self._settings.totp_max_failures_per_operator)]

    def _take(self, scopes: list[tuple[tuple[str, str], int]]) -> int:
        wait = max((self.locked.get(scope, 0) for scope, _ in scopes), default=0)
        if wait:
            return wait
        if any(self.counts[scope] >= limit for scope, limit in scopes):
            return self._settings.login_failure_window_seconds
        for scope, _ in scopes:
            self.counts[scope] += 1
        return 0

    def _fail(self, scopes: list[tuple[tuple[str, str], int]]) -> int:
        locked = 0
        for scope, limit in scopes:
            if self.counts[scope] >= limit:
                self.locked[scope] = self._settings.login_lockout_seconds
                self.counts[scope] = 0
                locked = self._settings.login_lockout_seconds
        return locked

    def _refund(self, scope: tuple[str, str]) -> None:
        self.counts[scope] = max(0, self.counts[scope] - 1)

    async def reserve(self, login_id: str, ip: str) -> int:
        return self._take(self._scopes(login_id, ip))

    async def failed(self, login_id: str, ip: str) -> int:
        return self._fail(self._scopes(login_id, ip))

    async def succeeded(self, login_id: str, ip: str) -> None:
        (pair, _), (account, _) = self._scopes(login_id, ip)
        self.counts.pop(pair, None)
        self._refund(account)

    async def reserve_totp(self, member_id: uuid.UUID) -> int:
        return self._take(self._totp(member_id))

    async def totp_failed(self, member_id: uuid.UUID) -> int:
        return self._fail(self._totp(member_id))

    async def totp_succeeded(self, member_id: uuid.UUID) -> None:
        self._refund(self._totp(member_id)[0][0])


class FakeChallenges:
    def __init__(self) -> None:
        self.open_challenges: dict[str, uuid.UUID] = {}
        self.tried: dict[str, int] = defaultdict(int)
        self.used_codes: set[tuple[uuid.UUID, str]] = set()

    async def open(self, member_id: uuid.UUID, *, ttl_seconds: int) -> str:
        challenge = f"challenge-{len(self.open_challenges) + len(self.tried) + 1}"
        self.open_challenges[challenge] = member_id
        return challenge

    async def try_code(self, challenge: str, *, max_codes: int) -> uuid.UUID | None:
        member_id = self.open_challenges.get(challenge)
        if member_id is None:
            return None
        self.tried[challenge] += 1
        if self.tried[challenge] > max_codes:
            await self.close(challenge)
            return None
        return member_id

    async def wrong_code(self, challenge: str, *, max_codes: int) -> None:
        if self.tried[challenge] >= max_codes:
            await self.close(challenge)

    async def close(self, challenge: str) -> None:
        self.open_challenges.pop(challenge, None)

    async def use_code(self, member_id: uuid.UUID, code: str) -> bool:
        if (member_id, code) in self.used_codes:
            return False
        self.used_codes.add((member_id, code))
        return True


class FakeRotations:
    """``RecentRotations`` in a dict; the grace window is the domain's to check."""

    def __init__(self, grace_seconds: int) -> None:
        self.grace_seconds = grace_seconds
        self.pairs: dict[str, RotatedPair] = {}

    async def remember(self, token_hash: str, pair: RotatedPair) -> None:
        self.pairs[token_hash] = pair

    async def recall(self, token_hash: str) -> RotatedPair | None:
        return self.pairs.get(token_hash)


class FakeFloor:
    """``AnswerFloor`` that records each floor a request waited for instead of waiting."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.waited: list[float] = []

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            self.waited.append(self.seconds)


class FakeCooldown:
    """``MailCooldown`` over dicts; ``cool_down()`` lets the cooldowns pass."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.sent: dict[tuple[str, str], int] = defaultdict(int)
        self.cooling: set[tuple[str, str]] = set()

    async def reserve(self, purpose: str, email: str) -> int:
        key = (purpose, normalised_login_id(email))
        if key in self.cooling:
            return self._settings.verification_resend_cooldown_seconds
        if self.sent[key] >= self._settings.verification_resend_max_per_day:
            return 24 * 3600
        self.sent[key] += 1
        self.cooling.add(key)
        return 0

    def cool_down(self) -> None:
        self.cooling.clear()


class FakeKeys:
    """Access tokens are ``access:<sub>:<roles>``; the claims of each are kept. The key
    is "cached" unless ``key_stale`` says it must be read (as at the first login)."""

    def __init__(self) -> None:
        self.claims: list[dict[str, Any]] = []
        self.key_stale = False
        #: How often the key was read, i.e. :meth:`access_token` was called.
        self.key_reads = 0

    async def access_token(self, keys: object, claims: dict[str, Any]) -> str:
        self.key_reads += 1
        self.key_stale = False
        self.claims.append(claims)
        return f"access:{claims['sub']}:{','.join(claims['roles'])}"

    def cached_access_token(self, claims: dict[str, Any]) -> str | None:
        if self.key_stale:
            return None
        self.claims.append(claims)
        return f"access:{claims['sub']}:{','.join(claims['roles'])}"


class FakeLoginStore:
    """``LoginStore`` over the fake unit of work's members, sessions and audit log: the
    lookup as ``by_login_id``, the session written only while the account is unchanged.
    ``change_before_write`` runs between the password check and the write (a race)."""

    def __init__(self, uow: FakeIdentityUnitOfWork) -> None:
        self._uow = uow
        self.opened = 0
        self.refused = 0
        self.change_before_write: Callable[[], None] | None = None

    async def holder(self, login_id: str) -> Member | None:
        found = await self._uow.members.by_login_id(login_id)
        # A copy, as a row read from the database is.
        return None if found is None else dataclasses.replace(found)

    async def open_session(self, token: RefreshToken, holder: Member, audit: AuditEntry) -> bool:
        if self.change_before_write is not None:
            self.change_before_write()
        stored = self._uow.members.find(holder.id)
        fields = ("password_hash", "status", "kind", "entity_type")
        if stored is None or any(getattr(stored, f) != getattr(holder, f) for f in fields):
            self.refused += 1
            return False
        self._uow.sessions.add(token)
        self._uow.audit_log.append(audit)
        self.opened += 1
        return True


class FakeDocumentStore:
    """Files in a dict; ``largest_read`` is the most bytes taken from an upload at once."""

    def __init__(self) -> None:
        self.files: dict[uuid.UUID, bytes] = {}
        self.largest_read = 0

    async def put_file(
        self, document_id: uuid.UUID, source: BinaryIO, *, max_bytes: int
    ) -> StoredFile:
        content = b""
        while chunk := source.read(CHUNK_BYTES):
            self.largest_read = max(self.largest_read, len(chunk))
            content += chunk
            if len(content) > max_bytes:
                return StoredFile(max_bytes + 1, content[:HEAD_BYTES])
        self.files[document_id] = content
        return StoredFile(len(content), content[:HEAD_BYTES])

    async def get(self, document_id: uuid.UUID) -> bytes:
        return self.files[document_id]

    async def delete(self, document_id: uuid.UUID) -> None:
        self.files.pop(document_id, None)


class FakeOrdering:
    """Blocking items per member; members in ``down`` get no answer."""

    def __init__(self) -> None:
        self.blockers: dict[uuid.UUID, tuple[BlockingItem, ...]] = {}
        self.down: set[uuid.UUID] = set()
        self.asked: list[uuid.UUID] = []

    async def withdrawal_blockers(self, member_id: uuid.UUID) -> tuple[BlockingItem, ...]:
        self.asked.append(member_id)
        if member_id in self.down:
            raise OrderingUnavailable
        return self.blockers.get(member_id, ())
