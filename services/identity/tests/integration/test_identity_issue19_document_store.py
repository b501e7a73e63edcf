"""Issue 19 item 9: identity documents are encrypted in chunks on disk, never whole in
memory, and read back; an upload over the limit leaves nothing behind."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

from identity.adapters.document_store import CHUNK_BYTES, DocumentStore

PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 30


def test_issue19_item9_files_are_encrypted_in_chunks_and_read_back(tmp_path: Any) -> None:
    key = "bG9jYWwtb25seS1iaXptYWxsLXNpZ25pbmcta2V5ISE="
    store = DocumentStore(str(tmp_path), key)
    content = PDF + bytes(range(256)) * (3 * CHUNK_BYTES // 256)

    class Source(io.BytesIO):
        largest = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            Source.largest = max(Source.largest, len(chunk))
            return chunk

    document_id = uuid.uuid4()
    stored = asyncio.run(store.put_file(document_id, Source(content), max_bytes=10 * 2**20))
    raw = asyncio.run(store.raw(document_id))
    assert stored.size == len(content) and stored.head == content[:16]
    assert Source.largest <= CHUNK_BYTES and b"1 0 obj" not in raw
    assert asyncio.run(store.get(document_id)) == content
    # Over the limit: nothing is kept.
    other = uuid.uuid4()
    too_big = asyncio.run(store.put_file(other, io.BytesIO(content), max_bytes=CHUNK_BYTES))
    assert too_big.size > CHUNK_BYTES and list(tmp_path.iterdir()) == [
        tmp_path / f"{document_id}.bin"
    ]
