"""Encrypted file storage for identity documents: one file per document in a folder
(a volume in compose), encrypted with a Fernet key from settings (R12).

An upload is copied from the request's spooled file to disk in chunks of
:data:`CHUNK_BYTES`, each encrypted on its own, so a 10 MB document never sits whole
in memory (issue 19 item 9). The file is ``BZD2`` followed by frames: a 4-byte
big-endian length and a Fernet token of (8-byte chunk index, 1-byte last flag,
chunk); the index and the flag, authenticated with the chunk, make reordered,
repeated or cut frames fail to decrypt. Files written before (one Fernet token of
the whole content) are still read.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.fernet import Fernet

from identity.config import Settings

#: Plaintext bytes per encrypted frame.
CHUNK_BYTES = 64 * 1024
#: Bytes kept from the start of an upload to recognise its format.
HEAD_BYTES = 16
_MAGIC = b"BZD2"
_FRAME = struct.Struct(">I")
_CHUNK = struct.Struct(">QB")


class CorruptDocumentFile(Exception):
    """A stored file whose frames do not decrypt in order."""


@dataclass(frozen=True)
class StoredFile:
    """What :meth:`DocumentStore.put_file` copied: the size (``max_bytes + 1`` when it
    stopped because the upload was larger) and the first bytes."""

    size: int
    head: bytes


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

    async def put_file(
        self, document_id: uuid.UUID, source: BinaryIO, *, max_bytes: int
    ) -> StoredFile:
        """Encrypt ``source`` chunk by chunk into the document's file. Stops, keeping
        nothing, as soon as it is over ``max_bytes``."""
        return await asyncio.to_thread(self._copy, document_id, source, max_bytes)

    def _copy(self, document_id: uuid.UUID, source: BinaryIO, max_bytes: int) -> StoredFile:
        self._folder.mkdir(parents=True, exist_ok=True)
        temporary = self._path(document_id).with_suffix(".tmp")
        size, head, index = 0, b"", 0
        try:
            with temporary.open("wb") as out:
                out.write(_MAGIC)
                chunk = source.read(CHUNK_BYTES)
                while True:
                    size += len(chunk)
                    if size > max_bytes:
                        temporary.unlink()
                        return StoredFile(max_bytes + 1, head)
                    head = head or chunk[:HEAD_BYTES]
                    following = source.read(CHUNK_BYTES) if chunk else b""
                    last = not following
                    token = self._fernet.encrypt(_CHUNK.pack(index, last) + chunk)
                    out.write(_FRAME.pack(len(token)) + token)
                    if last:
                        break
                    chunk, index = following, index + 1
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        temporary.replace(self._path(document_id))
        return StoredFile(size, head)

    async def get(self, document_id: uuid.UUID) -> bytes:
        """The decrypted content (``FileNotFoundError`` when deleted)."""
        return await asyncio.to_thread(self._read, document_id)

    def _read(self, document_id: uuid.UUID) -> bytes:
        with self._path(document_id).open("rb") as source:
            if source.read(len(_MAGIC)) != _MAGIC:
                source.seek(0)
                return self._fernet.decrypt(source.read())
            parts: list[bytes] = []
            last = False
            while not last:
                length = source.read(_FRAME.size)
                if len(length) < _FRAME.size:
                    raise CorruptDocumentFile(str(document_id))
                plain = self._fernet.decrypt(source.read(_FRAME.unpack(length)[0]))
                index, last_flag = _CHUNK.unpack_from(plain)
                if index != len(parts):
                    raise CorruptDocumentFile(str(document_id))
                last = bool(last_flag)
                parts.append(plain[_CHUNK.size :])
            if source.read(1):
                raise CorruptDocumentFile(str(document_id))
            return b"".join(parts)

    async def raw(self, document_id: uuid.UUID) -> bytes:
        """The stored (encrypted) bytes, as they lie on disk."""
        return await asyncio.to_thread(self._path(document_id).read_bytes)

    async def delete(self, document_id: uuid.UUID) -> None:
        """Remove the file (no error when already gone)."""
        await asyncio.to_thread(self._path(document_id).unlink, True)
