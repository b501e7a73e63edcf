"""Identity's unit of work: the platform's, with identity's repositories bound."""

from __future__ import annotations

from typing import Self

from identity.adapters.directory_repository import MemberDirectory
from identity.adapters.repository import (
    DocumentRepository,
    LinkTokenRepository,
    MappedRepository,
    MemberRepository,
    SessionRepository,
    SigningKeyRepository,
    WithdrawalRepository,
)
from servicekit.runtime import Runtime
from servicekit.uow import UnitOfWork


class IdentityUnitOfWork(UnitOfWork):
    """A transaction with identity's repositories bound to it."""

    members: MemberRepository
    link_tokens: LinkTokenRepository
    sessions: SessionRepository
    documents: DocumentRepository
    withdrawals: WithdrawalRepository
    signing_keys: SigningKeyRepository
    directory: MemberDirectory

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.members = MemberRepository(self)
        self.link_tokens = LinkTokenRepository(self)
        self.sessions = SessionRepository(self)
        self.documents = DocumentRepository(self)
        self.withdrawals = WithdrawalRepository(self)
        self.signing_keys = SigningKeyRepository(self)
        self.directory = MemberDirectory(self)
        return self

    def _write_back(self) -> None:
        mapped: tuple[MappedRepository, ...] = (
            self.members,
            self.link_tokens,
            self.sessions,
            self.documents,
            self.withdrawals,
        )
        for repository in mapped:
            repository.write_back()

    async def flush(self) -> None:
        self._write_back()
        await super().flush()

    async def commit(self) -> None:
        self._write_back()
        await super().commit()


def identity_uow(runtime: Runtime) -> IdentityUnitOfWork:
    """A new unit of work of the identity runtime (``bootstrap`` binds the class)."""
    uow = runtime.uow()
    assert isinstance(uow, IdentityUnitOfWork)
    return uow
