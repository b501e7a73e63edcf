"""Encrypted file storage for identity documents: one file per document in a folder
(a volume in compose), encrypted with a Fernet key from settings (R12)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

from identity.config import Settings


class DocumentStore:
    """Put, get and delete encrypted document files by document id."""

    def __init__(self, folder: str, key: str) -> None:
        self._folder = Path(folder)
        self._fernet = Fernet(key.encode())

    @classmethod
    def of(cls, settings: Settings) -> DocumentStore:
        """The store the settings describe."""
        return cls(settings.document_storage_dir, settings.document_encryption_key)

    def _path(self, document_id: uuid.UUID) -> Path:
        return self._folder / f"{document_id}.bin"

    async def put(self, document_id: uuid.UUID, content: bytes) -> None:
        """Encrypt and write ``content``."""

        def write() -> None:
            self._folder.mkdir(parents=True, exist_ok=True)
            temporary = self._path(document_id).with_suffix(".tmp")
            temporary.write_bytes(self._fernet.encrypt(content))
            temporary.replace(self._path(document_id))

        await asyncio.to_thread(write)

    async def get(self, document_id: uuid.UUID) -> bytes:
        """The decrypted content (``FileNotFoundError`` when deleted)."""
        data = await asyncio.to_thread(self._path(document_id).read_bytes)
        return self._fernet.decrypt(data)

    async def raw(self, document_id: uuid.UUID) -> bytes:
        """The stored (encrypted) bytes, as they lie on disk."""
        return await asyncio.to_thread(self._path(document_id).read_bytes)

    async def delete(self, document_id: uuid.UUID) -> None:
        """Remove the file (no error when already gone)."""
        await asyncio.to_thread(self._path(document_id).unlink, True)
