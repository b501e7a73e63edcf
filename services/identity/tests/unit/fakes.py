"""Identity's unit of work, repositories and adapters, in memory (no database,
Redis, ordering or disk). The repositories have the SQL ones' method names and
signatures; the adapters the real ones'."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from bizmall_events.identity import BlockingItem
from identity.adapters.ordering_client import OrderingUnavailable
from identity.config import Settings
from identity.domain.documents import IdentityDocument
from identity.domain.member import Member, normalised_login_id
from identity.domain.tokens import LinkToken, RefreshToken
from identity.domain.withdrawal import CHECKING, OPEN_STATES, WithdrawalRequest
from servicekit.testing.fakes import FakeUnitOfWork, InMemoryRepository
from servicekit.uow import BaseUnitOfWork


class InMemoryMembers(InMemoryRepository[uuid.UUID, Member]):
    def __init__(self, uow: BaseUnitOfWork) -> None:
        super().__init__(uow, key=lambda member: member.id)

    async def get(self, member_id: uuid.UUID, *, lock: bool = False) -> Member | None:
        return self.find(member_id)

    async def by_login_id(self, login_id: str, *, lock: bool = False) -> Member | None:
        found = self.where(lambda m: m.login_id == normalised_login_id(login_id))
        return found[0] if found else None

    async def add_unless_taken(self, member: Member) -> bool:
        if any(m.login_id == member.login_id for m in self):
            return False
        self.put(member)
        return True


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
        return self.where(lambda d: d.status == status)[:limit]

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

    async def in_status(self, status: str, *, limit: int = 200) -> list[WithdrawalRequest]:
        return self.where(lambda r: r.status == status)[:limit]

    async def still_checking(self, *, limit: int = 100) -> list[WithdrawalRequest]:
        return self.where(lambda r: r.status == CHECKING)[:limit]


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
    """``LoginThrottle``'s rules over dicts: per login ID and per address."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.failures: dict[tuple[str, str], int] = defaultdict(int)
        self.locked: dict[tuple[str, str], int] = {}

    def _scopes(self, login_id: str, ip: str) -> list[tuple[tuple[str, str], int]]:
        return [
            (
                ("account", normalised_login_id(login_id)),
                self._settings.login_max_failures_per_account,
            ),
            (("ip", ip), self._settings.login_max_failures_per_ip),
        ]

    async def locked_for(self, login_id: str, ip: str) -> int:
        return max(
            (self.locked.get(scope, 0) for scope, _ in self._scopes(login_id, ip)), default=0
        )

    async def failed(self, login_id: str, ip: str) -> int:
        locked = 0
        for scope, limit in self._scopes(login_id, ip):
            self.failures[scope] += 1
            if self.failures[scope] >= limit:
                self.locked[scope] = self._settings.login_lockout_seconds
                self.failures[scope] = 0
                locked = self._settings.login_lockout_seconds
        return locked

    async def succeeded(self, login_id: str) -> None:
        self.failures.pop(("account", normalised_login_id(login_id)), None)


class FakeChallenges:
    def __init__(self) -> None:
        self.open_challenges: dict[str, uuid.UUID] = {}
        self.used_codes: set[tuple[uuid.UUID, str]] = set()

    async def open(self, member_id: uuid.UUID, *, ttl_seconds: int) -> str:
        challenge = f"challenge-{len(self.open_challenges) + 1}"
        self.open_challenges[challenge] = member_id
        return challenge

    async def member_of(self, challenge: str) -> uuid.UUID | None:
        return self.open_challenges.get(challenge)

    async def close(self, challenge: str) -> None:
        self.open_challenges.pop(challenge, None)

    async def use_code(self, member_id: uuid.UUID, code: str) -> bool:
        if (member_id, code) in self.used_codes:
            return False
        self.used_codes.add((member_id, code))
        return True


class FakeKeys:
    """Access tokens are ``access:<sub>:<roles>``; the claims of each are kept."""

    def __init__(self) -> None:
        self.claims: list[dict[str, Any]] = []

    async def access_token(self, keys: object, claims: dict[str, Any]) -> str:
        self.claims.append(claims)
        return f"access:{claims['sub']}:{','.join(claims['roles'])}"


class FakeDocumentStore:
    def __init__(self) -> None:
        self.files: dict[uuid.UUID, bytes] = {}

    async def put(self, document_id: uuid.UUID, content: bytes) -> None:
        self.files[document_id] = content

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
